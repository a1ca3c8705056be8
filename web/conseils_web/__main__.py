"""`python -m conseils_web`: the site alone, in front of services that run elsewhere."""

from __future__ import annotations

from email.utils import parseaddr
from typing import TypedDict

import uvicorn

from conseils_runtime.auth import check_secret
from conseils_runtime.mail import DkimKey
from conseils_runtime.territory import default_territory_path, load_territory
from conseils_web.platform import SERVICE_LABELS
from conseils_web.settings import SiteSettings
from conseils_web.site import ServiceEndpoint, create_site


def main() -> None:
    settings = SiteSettings()
    territory = load_territory(settings.territory_file or default_territory_path())
    # The site signs sessions and the services' tokens: never with a default or short secret outside a demo.
    check_secret(settings.auth_secret, demo=territory.demo, where=str(settings.territory_file or ""))
    urls = {
        "registry": settings.registry_url,
        "meetings": settings.meetings_url,
        "notifications": settings.notifications_url,
    }
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    dkim_key = None
    if settings.dkim_key_file is not None:
        dkim_key = DkimKey.load(
            settings.dkim_key_file,
            selector=settings.dkim_selector or f"conseils-{territory.territory.slug}",
            domain=settings.dkim_domain or parseaddr(territory.mail.sender)[1].rpartition("@")[2],
        )
    site = create_site(
        territory,
        [ServiceEndpoint(name, SERVICE_LABELS[name], url) for name, url in urls.items()],
        None,  # no demo mailbox in production
        auth_secret=settings.auth_secret,
        data_dir=settings.data_dir,
        smtp_host=settings.smtp_host,
        smtp_port=settings.smtp_port,
        public_base_url=settings.public_base_url,
        kafka_bootstrap=settings.kafka_bootstrap_servers,
        dkim_key=dkim_key,
    )
    uvicorn.run(site, **server_options(settings), loop="uvloop", http="httptools")


class ServerOptions(TypedDict):
    host: str
    port: int
    proxy_headers: bool
    forwarded_allow_ips: str


def server_options(settings: SiteSettings) -> ServerOptions:
    """Behind the reverse proxy: believe X-Forwarded-For from the proxy only (never "*": a client
    could otherwise choose the address that the sign-in rate limit counts)."""
    return {
        "host": settings.host,
        "port": settings.port,
        "proxy_headers": True,
        "forwarded_allow_ips": settings.forwarded_allow_ips,
    }


if __name__ == "__main__":
    main()
