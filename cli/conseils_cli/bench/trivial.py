"""The HTTP baseline: a trivial FastAPI endpoint, served by uvicorn like the services."""

from __future__ import annotations

from fastapi import FastAPI

app = FastAPI()


@app.get("/ping")
async def ping() -> dict[str, bool]:
    return {"ok": True}
