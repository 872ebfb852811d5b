"""Loaded by every Python process that labs/verify.py starts (it is on their PYTHONPATH):
a connection to anything but this machine is refused and written down, so that a lab, or
a program it runs, that reaches past the machine fails the check."""

import ipaddress
import os
import sys

LOG = os.environ.get("LABS_OFFLINE_LOG")
LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", ""}


def is_local(host: object) -> bool:
    if not isinstance(host, str):
        return True  # a Unix socket's path, or an address family with no host
    if host in LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def refuse_the_network(event: str, args: tuple) -> None:
    if event == "socket.connect":
        address = args[1]
        host = address[0] if isinstance(address, tuple) else address
    elif event == "socket.getaddrinfo":
        host = args[0].decode() if isinstance(args[0], bytes) else args[0]
    else:
        return
    if is_local(host):
        return
    with open(LOG, "a") as log:
        log.write(f"{os.getpid()} {' '.join(sys.argv)[:200]}: {event} to {host}\n")
    raise OSError(f"the labs run offline: {event} to {host} refused")


if LOG:
    sys.addaudithook(refuse_the_network)
