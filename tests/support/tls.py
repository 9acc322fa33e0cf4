"""A throwaway certificate authority for TLS tests: :class:`TestPKI`.

Made with ``trustme`` (test dependency): one CA, a server certificate for ``127.0.0.1`` and
``localhost``, and a client certificate for mutual TLS, written as PEM files a subprocess can
be pointed at (``--cert``, ``--client-cert``, ``REQUESTS_CA_BUNDLE``). :meth:`server_context`
gives the matching server-side :class:`ssl.SSLContext` for
:class:`~tests.support.index_server.IndexServer` (``ssl_context=``).
"""

from __future__ import annotations

import ssl
from pathlib import Path

__all__ = ["TestPKI"]


class TestPKI:
    """A CA and its certificates, as PEM files under ``folder``.

    * ``ca_pem``: the CA certificate (what a client trusts);
    * ``client_pem``: the client certificate and its private key in one file (``--client-cert``);
    * ``other_ca_pem``: a second, unrelated CA (trusting it must not make the server trusted).
    """

    __test__ = False  # not a pytest test class, despite the name

    def __init__(self, folder: Path | str) -> None:
        import trustme

        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._ca = trustme.CA()
        self._server = self._ca.issue_cert("127.0.0.1", "localhost")
        self._client = self._ca.issue_cert("spoke-test-client@example.com")
        self.ca_pem = self.folder / "ca.pem"
        self._ca.cert_pem.write_to_path(str(self.ca_pem))
        self.client_pem = self.folder / "client.pem"
        self._client.private_key_and_cert_chain_pem.write_to_path(str(self.client_pem))
        self.other_ca_pem = self.folder / "other-ca.pem"
        trustme.CA().cert_pem.write_to_path(str(self.other_ca_pem))

    def server_context(self, *, require_client_cert: bool = False) -> ssl.SSLContext:
        """A server-side context presenting the ``127.0.0.1``/``localhost`` certificate;
        with ``require_client_cert`` the handshake fails unless the client shows a
        certificate issued by this CA (mutual TLS)."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._server.configure_cert(ctx)
        if require_client_cert:
            ctx.verify_mode = ssl.CERT_REQUIRED
            self._ca.configure_trust(ctx)
        return ctx
