#!/bin/sh
# The broker of docker-compose.yml, secured the way `conseils kafka start --secure` runs it
# (cli/conseils_cli/kafka/security.py): SCRAM-SHA-512 on the client listener, SASL/PLAIN with the
# admin's static credentials on the controller listener (no unauthenticated listener at all),
# StandardAuthorizer with deny by default, `admin` the only super user. The SCRAM credentials of
# every principal are written by `kafka-storage format --add-scram` when the volume is formatted
# (first start); the ACLs and the topics are created by the `kafka-acls` service
# (`conseils kafka grant --bootstrap kafka:9092`). TLS is not configured here: put the listener
# behind SASL_SSL when clients reach the broker from other hosts.
set -eu

for name in ADMIN REGISTRY MEETINGS NOTIFICATIONS OPS INTEGRATOR; do
  eval "value=\${CONSEILS_KAFKA_${name}_PASSWORD:-}"
  if [ -z "$value" ]; then
    echo "CONSEILS_KAFKA_${name}_PASSWORD is required" >&2
    exit 1
  fi
done

DATA=${KAFKA_LOG_DIRS:-/var/lib/kafka/data}
CONFIG=/tmp/server.properties
ADMIN_CLIENT=/tmp/admin-client.properties
umask 077

# KAFKA_FOO_BAR=v -> foo.bar=v, the apache/kafka image's convention ("___" -> "-", "__" -> "_");
# the JVM's own variables (KAFKA_*_OPTS, KAFKA_HOME, ...) are not settings.
env | grep '^KAFKA_' | grep -v -E '^KAFKA_(HOME|VERSION|URL|DEBUG|[A-Z0-9_]*_OPTS)=' | while IFS='=' read -r name value; do
  key=$(printf '%s' "${name#KAFKA_}" | sed -e 's/___/-/g' -e 's/__/@/g' -e 's/_/./g' -e 's/@/_/g' | tr 'A-Z' 'a-z')
  printf '%s=%s\n' "$key" "$value"
done > "$CONFIG"
cat >> "$CONFIG" <<PROPERTIES
listener.name.broker.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="${CONSEILS_KAFKA_ADMIN_PASSWORD}";
listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="${CONSEILS_KAFKA_ADMIN_PASSWORD}" user_admin="${CONSEILS_KAFKA_ADMIN_PASSWORD}";
PROPERTIES

cat > "$ADMIN_CLIENT" <<PROPERTIES
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="${CONSEILS_KAFKA_ADMIN_PASSWORD}";
PROPERTIES

if [ ! -f "$DATA/meta.properties" ]; then
  /opt/kafka/bin/kafka-storage.sh format -t "$(/opt/kafka/bin/kafka-storage.sh random-uuid)" -c "$CONFIG" \
    --add-scram "SCRAM-SHA-512=[name=admin,password=${CONSEILS_KAFKA_ADMIN_PASSWORD}]" \
    --add-scram "SCRAM-SHA-512=[name=registry,password=${CONSEILS_KAFKA_REGISTRY_PASSWORD}]" \
    --add-scram "SCRAM-SHA-512=[name=meetings,password=${CONSEILS_KAFKA_MEETINGS_PASSWORD}]" \
    --add-scram "SCRAM-SHA-512=[name=notifications,password=${CONSEILS_KAFKA_NOTIFICATIONS_PASSWORD}]" \
    --add-scram "SCRAM-SHA-512=[name=ops,password=${CONSEILS_KAFKA_OPS_PASSWORD}]" \
    --add-scram "SCRAM-SHA-512=[name=integrator,password=${CONSEILS_KAFKA_INTEGRATOR_PASSWORD}]" \
    > /dev/null
fi

exec /opt/kafka/bin/kafka-server-start.sh "$CONFIG"
