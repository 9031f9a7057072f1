"""``actlab serve``: the interactive explorer (:mod:`actlab.web.server`) on a local port."""

from __future__ import annotations

import errno
import ipaddress
import socket
from pathlib import Path
from typing import Annotated

import typer

from ._common import UserError
from ._output import err

__all__ = ["app", "check_port", "check_report", "is_loopback", "serve"]

app = typer.Typer()

LOOPBACK_NAMES = {"localhost", "ip6-localhost"}


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and 'localhost': addresses only this machine can reach."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_port(host: str, port: int) -> int:
    """Bind ``host:port`` for a moment, as the server will (SO_REUSEADDR, like uvicorn), and
    return the port (the one the system picked for 0); a taken port, a port that needs
    privileges or a host that is not this machine's is a :class:`UserError`, before the URL is
    announced."""
    try:
        infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as e:
        raise UserError(f"--host {host}: not an address or a known name ({e}); use 127.0.0.1 "
                        "(this machine only) or an address of this machine") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                raise UserError(f"--port {port} is taken on {host} (another program listens there): "
                                f"choose another, e.g. --port {port + 1 if port < 65535 else 8000}, "
                                "or --port 0 for any free one") from None
            if e.errno == errno.EACCES:
                raise UserError(f"--port {port} needs administrator rights on this system: use a "
                                "port above 1023, e.g. --port 8000") from None
            if e.errno == errno.EADDRNOTAVAIL:
                raise UserError(f"--host {host} is not an address of this machine: use 127.0.0.1 "
                                "or one of its addresses") from None
            raise UserError(f"cannot listen on {host}:{port} ({e.strerror or e}); try another "
                            "--port or --host") from None
        return int(sock.getsockname()[1])


def check_report(folder: Path) -> Path:
    """The folder ``actlab report`` wrote (it has ``report.html``), resolved; else a :class:`UserError`."""
    if folder.exists() and not folder.is_dir():
        raise UserError(f"--report {folder} is not a folder: give the folder `actlab report --out` "
                        "wrote (the one holding report.html)")
    if not folder.is_dir():
        raise UserError(f"--report {folder}: no such folder; give the folder `actlab report --out` "
                        "wrote (the one holding report.html)")
    if not (folder / "report.html").is_file():
        raise UserError(f"--report {folder}: no report.html in this folder; give the folder "
                        "`actlab report --out` wrote, or run `actlab report` first")
    return folder.resolve()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind. The default is reachable from this "
                                           "machine only; 0.0.0.0 exposes the page to your network.")]
    = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port (0 picks a free one).")] = 8000,
    allow_host: Annotated[list[str] | None, typer.Option(
        "--allow-host", metavar="NAME",
        help="Another name the Host header may carry (repeatable), e.g. this machine's name on "
             "your network. Loopback names and the bound address are always allowed; "
             "ACTLAB_ALLOWED_HOSTS adds names too. Other names are refused (DNS rebinding).")]
    = None,
    report: Annotated[Path | None, typer.Option(
        "--report", metavar="DIR",
        help="Also serve this `actlab report` output folder, read-only, under /report/, and link "
             "each selected activation to its page there.")] = None,
) -> None:
    """Serve the explorer: pick activations, move their parameters, compare f, f′, f″, measured
    properties and the mean-field χ₁ curve. Works offline (Plotly.js comes from the plotly package)."""
    if not 0 <= port <= 65535:
        raise UserError(f"--port {port} is not a TCP port: use 1..65535 (or 0 for any free port)")
    if not host.strip():
        raise UserError("--host is empty: use 127.0.0.1 (this machine only) or an address to bind")
    names = [name.strip() for name in allow_host or ()]
    bad = [name for name in names if not name or any(c.isspace() or c in "/,@" for c in name)]
    if bad:
        raise UserError(f"--allow-host {bad[0]!r} is not a host name: give one name or address per "
                        "option, e.g. --allow-host lab.example --allow-host 10.0.0.5")
    report_dir = check_report(report) if report is not None else None
    port = check_port(host, port)  # before the URL is announced; 0 becomes the port picked
    from ..web import server

    server.plotly_js()  # fail now, with the fix in the message, not at the first page load
    shown = f"[{host}]" if ":" in host else host
    err.text(f"actlab explorer on http://{shown}:{port}/  (Ctrl-C stops it)")
    if not is_loopback(host):
        err.text(f"warning: {host} is not a loopback address: anyone who can reach this port can use "
                 "the page and its API (there is no authentication)")
    if report_dir is None:
        server.serve(host=host, port=port, log_level="warning", allowed_hosts=names)
        return
    err.text(f"report from {report_dir} on http://{shown}:{port}/report/")
    server.serve(host=host, port=port, log_level="warning", allowed_hosts=names, report_dir=report_dir)
