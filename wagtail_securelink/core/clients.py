"""The visitor's address, as far as it can be trusted (S6)."""

import ipaddress
import logging
from functools import lru_cache

from wagtail_securelink.conf import settings

__all__ = ["client_ip", "client_network", "anonymise_ip", "user_agent"]

logger = logging.getLogger(__name__)

# Peers already warned about (below), and how many a process warns about at most: a
# client sending its own X-Forwarded-For straight to the app must not flood the log.
_UNTRUSTED_WARNED: set[str] = set()
_UNTRUSTED_WARN_MAX = 8


@lru_cache(maxsize=8)
def _trusted_networks(proxies: tuple[str, ...]):
    networks = []
    for proxy in proxies:
        try:
            networks.append(ipaddress.ip_network(proxy, strict=False))
        except ValueError:
            logger.warning(
                "Ignoring invalid WAGTAIL_SECURELINK_TRUSTED_PROXIES entry %r", proxy
            )
    return tuple(networks)


def _parse(value: str):
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def _is_trusted(ip) -> bool:
    return any(ip in net for net in _trusted_networks(tuple(settings.TRUSTED_PROXIES)))


def client_ip(request) -> str:
    """The client's IP address.

    ``X-Forwarded-For`` is read only when the direct peer is a trusted proxy, and then
    from the right: each hop added by a trusted proxy is skipped, the first untrusted
    one is the client. A client cannot spoof its way past a proxy that appends to the
    header, and without a trusted proxy the header is ignored altogether.
    """
    remote = _parse(request.META.get("REMOTE_ADDR", ""))
    if remote is None:
        # A placeholder rate-limit key for a request without a peer address, never bound to.
        return "0.0.0.0"  # noqa: S104  # nosec B104
    if not _is_trusted(remote):
        if request.META.get("HTTP_X_FORWARDED_FOR"):
            _warn_untrusted_proxy(str(remote))
        return str(remote)
    hops = [
        h for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()
    ]
    for hop in reversed(hops):
        ip = _parse(hop)
        if ip is None:
            return str(remote)
        if not _is_trusted(ip):
            return str(ip)
        remote = ip
    return str(remote)


def _warn_untrusted_proxy(peer: str) -> None:
    """A request came from ``peer`` with an X-Forwarded-For it does not believe.

    Most often ``peer`` is the site's own proxy, missing from TRUSTED_PROXIES: then every
    visitor counts as that one address and one visitor's limit is everyone's. A system
    check cannot see requests, so this is said at run time, once per peer and process."""
    if peer in _UNTRUSTED_WARNED or len(_UNTRUSTED_WARNED) >= _UNTRUSTED_WARN_MAX:
        return
    _UNTRUSTED_WARNED.add(peer)
    logger.warning(
        "A request from %s carries X-Forwarded-For, but %s is not in "
        "WAGTAIL_SECURELINK_TRUSTED_PROXIES: the header is ignored. If %s is your "
        "proxy, add it, or the rate limits count every visitor as that one address.",
        peer,
        peer,
        peer,
    )


def _network(ip_text: str, v4_prefix: int, v6_prefix: int) -> str:
    ip = _parse(ip_text)
    if ip is None:
        return ""
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    prefix = v4_prefix if ip.version == 4 else v6_prefix
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False).network_address)


def client_network(request) -> str:
    """The client's network (/24 or /48 by default), the unit of per-client rate limits."""
    ip = client_ip(request)
    net = _network(ip, settings.IPV4_NETWORK_PREFIX, settings.IPV6_NETWORK_PREFIX)
    prefix = (
        settings.IPV4_NETWORK_PREFIX if "." in net else settings.IPV6_NETWORK_PREFIX
    )
    return f"{net}/{prefix}"


def anonymise_ip(ip_text: str) -> str:
    """IPv4 /24, IPv6 /48, as the policy's "anonymised" setting stores them."""
    return _network(ip_text, 24, 48)


def user_agent(request) -> str:
    # Printable characters only: it is stored, and PostgreSQL refuses NUL in text.
    agent = request.META.get("HTTP_USER_AGENT", "")[:512]
    return "".join(ch for ch in agent if ch.isprintable())
