"""A local certificate authority and the emulator's TLS certificate.

MSAL only talks to https authorities, so the emulator serves TLS with a certificate
issued by a CA made here. Clients are handed the CA file (``verify=ca_path``) and keep
their normal certificate checks. The files are kept in a state directory and reused
across restarts, so a CA path configured once (say in Together's demo settings) stays
valid.
"""

from __future__ import annotations

import shutil
import tempfile
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
    """The CA and server certificate in ``state_dir/tls``, made on first use and reused.

    Made in a scratch directory and renamed into place, so two emulators starting at
    once never mix one CA with the other's certificate: the loser of the race uses the
    winner's files.
    """
    state_dir.mkdir(parents=True, exist_ok=True)
    final = state_dir / "tls"
    files = _files(final)
    if files.ca_path.exists():
        return files
    scratch = Path(tempfile.mkdtemp(prefix="tls-", dir=state_dir))
    ca = trustme.CA(organization_name="Together provider emulator")
    leaf = ca.issue_cert(*HOSTS)
    made = _files(scratch)
    leaf.private_key_pem.write_to_path(str(made.key_path))
    made.key_path.chmod(0o600)
    made.cert_path.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    ca.cert_pem.write_to_path(str(made.ca_path))
    try:
        scratch.rename(final)
    except OSError:
        shutil.rmtree(scratch, ignore_errors=True)
    return files


def _files(directory: Path) -> TLSFiles:
    return TLSFiles(
        ca_path=directory / "ca.pem",
        cert_path=directory / "server-chain.pem",
        key_path=directory / "server-key.pem",
    )
