"""A local certificate authority and the emulator's TLS certificate.

MSAL only talks to https authorities, so the emulator serves TLS with a certificate
issued by a CA made here. Clients are handed the CA file (``verify=ca_path``) and keep
their normal certificate checks. The files are kept in a state directory and reused
across restarts, so a CA path configured once (say in Together's demo settings) stays
valid.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import trustme

HOSTS = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class TLSFiles:
    ca_path: Path
    cert_path: Path
    key_path: Path


def ensure_tls_files(state_dir: Path) -> TLSFiles:
    """The CA and server certificate in `state_dir`, made on first use and reused after."""
    state_dir.mkdir(parents=True, exist_ok=True)
    files = TLSFiles(
        ca_path=state_dir / "ca.pem",
        cert_path=state_dir / "server-chain.pem",
        key_path=state_dir / "server-key.pem",
    )
    if all(
        p.exists() and p.stat().st_size for p in (files.ca_path, files.cert_path, files.key_path)
    ):
        return files
    ca = trustme.CA(organization_name="Together provider emulator")
    leaf = ca.issue_cert(*HOSTS)
    # Written key first and CA last: a reader that finds the CA finds a complete set.
    leaf.private_key_pem.write_to_path(str(files.key_path))
    files.cert_path.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    ca.cert_pem.write_to_path(str(files.ca_path))
    files.key_path.chmod(0o600)
    return files
