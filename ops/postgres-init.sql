-- One database per service: services never read each other's data.
CREATE DATABASE registry;
CREATE DATABASE meetings;
CREATE DATABASE notifications;
