//! Opening an IMAP session: TCP, then TLS from the first byte, STARTTLS, or (loopback only)
//! plain text; then LOGIN and SELECT. Every step has a deadline.

use async_imap::{Client, Session};
use opsdesk_app::mail::{is_loopback, TlsMode};
use opsdesk_store::mail::Mailbox;
use rustls::pki_types::CertificateDer;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// Any stream a session runs over (plain TCP or TLS), boxed so both are one type.
pub(super) trait Io: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug> Io for T {}

pub(super) type ImapSession = Session<Box<dyn Io>>;

/// How long connecting, TLS, greeting, sign-in and each command may take.
pub(super) const STEP_TIMEOUT: Duration = Duration::from_secs(60);

/// A failure of the session, said in a line an admin can act on (never the password).
#[derive(Debug, thiserror::Error)]
pub(super) enum ImapError {
    #[error("cannot connect to {0}: {1}")]
    Connect(String, String),
    #[error("TLS with {0} failed: {1}")]
    Tls(String, String),
    #[error("the server refused the sign-in of {0}: {1}")]
    Login(String, String),
    #[error("cannot open the folder {0:?}: {1}")]
    Select(String, String),
    #[error("IMAP: {0}")]
    Protocol(String),
    #[error("the server did not answer within {0:?}")]
    Timeout(Duration),
    #[error("{0}")]
    Other(String),
}

impl From<async_imap::error::Error> for ImapError {
    fn from(e: async_imap::error::Error) -> Self {
        ImapError::Protocol(e.to_string())
    }
}

/// Runs one step with the step deadline.
pub(super) async fn step<T, E: Into<ImapError>>(
    f: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, ImapError> {
    match tokio::time::timeout(STEP_TIMEOUT, f).await {
        Ok(r) => r.map_err(Into::into),
        Err(_) => Err(ImapError::Timeout(STEP_TIMEOUT)),
    }
}

/// The certificates of a PEM file (a private CA to trust besides the public roots), or a line
/// that says why there are none.
pub fn certificates_in(path: &std::path::Path) -> Result<Vec<CertificateDer<'static>>, String> {
    use rustls::pki_types::pem::PemObject;
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("cannot read certificates from {}: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("{} holds no PEM certificate", path.display()));
    }
    // Refused here, at start, rather than at every connection.
    let mut check = rustls::RootCertStore::empty();
    for cert in &certs {
        check
            .add(cert.clone())
            .map_err(|e| format!("{} holds a certificate that cannot be trusted: {e}", path.display()))?;
    }
    Ok(certs)
}

fn tls_connector(extra_roots: &[CertificateDer<'static>]) -> Result<tokio_rustls::TlsConnector, ImapError> {
    let mut roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    for cert in extra_roots {
        roots.add(cert.clone()).map_err(|e| ImapError::Other(format!("a trusted CA certificate is unusable: {e}")))?;
    }
    // The provider is named here: the process links both ring and aws-lc (through other
    // crates), and rustls refuses to guess between them.
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| ImapError::Other(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}

async fn wrap_tls(
    host: &str,
    tcp: TcpStream,
    extra_roots: &[CertificateDer<'static>],
) -> Result<Box<dyn Io>, ImapError> {
    let name = rustls::pki_types::ServerName::try_from(host.to_string())
        .map_err(|e| ImapError::Tls(host.into(), e.to_string()))?;
    let tls = step(async {
        tls_connector(extra_roots)?.connect(name, tcp).await.map_err(|e| ImapError::Tls(host.into(), e.to_string()))
    })
    .await?;
    Ok(Box::new(tls))
}

/// Reads the server's greeting, which must come before any command.
async fn greeting<T: Io>(client: &mut Client<T>) -> Result<(), ImapError> {
    match step(async { client.read_response().await.map_err(|e| ImapError::Protocol(e.to_string())) }).await? {
        Some(_) => Ok(()),
        None => Err(ImapError::Protocol("the server closed the connection before its greeting".into())),
    }
}

/// Connects, signs in and selects the mailbox's folder. TLS trusts the public roots and
/// `extra_roots`.
pub(super) async fn open(m: &Mailbox, extra_roots: &[CertificateDer<'static>]) -> Result<ImapSession, ImapError> {
    let tls = TlsMode::parse(&m.tls).unwrap_or(TlsMode::Tls);
    let addr = format!("{}:{}", m.host, m.port);
    if tls == TlsMode::None && !is_loopback(&m.host) {
        return Err(ImapError::Other(format!("refusing plain text to {addr}: only loopback hosts may use tls none")));
    }
    let tcp =
        step(async { TcpStream::connect(&addr).await.map_err(|e| ImapError::Connect(addr.clone(), e.to_string())) })
            .await?;
    let _ = tcp.set_nodelay(true);
    let client = match tls {
        TlsMode::Tls => {
            let mut c = Client::new(wrap_tls(&m.host, tcp, extra_roots).await?);
            greeting(&mut c).await?;
            c
        }
        TlsMode::None => {
            let mut c = Client::new(Box::new(tcp) as Box<dyn Io>);
            greeting(&mut c).await?;
            c
        }
        TlsMode::Starttls => {
            let mut c = Client::new(tcp);
            greeting(&mut c).await?;
            step(c.run_command_and_check_ok("STARTTLS", None))
                .await
                .map_err(|e| ImapError::Tls(addr.clone(), format!("STARTTLS refused: {e}")))?;
            // Nothing the server sent before its OK is pending, so no buffered byte is lost here.
            Client::new(wrap_tls(&m.host, c.into_inner(), extra_roots).await?)
        }
    };
    let session = match tokio::time::timeout(STEP_TIMEOUT, client.login(&m.username, &m.password)).await {
        Err(_) => return Err(ImapError::Timeout(STEP_TIMEOUT)),
        Ok(Err((e, _))) => return Err(ImapError::Login(m.username.clone(), e.to_string())),
        Ok(Ok(s)) => s,
    };
    let mut session = session;
    step(async { session.select(&m.folder).await.map_err(|e| ImapError::Select(m.folder.clone(), e.to_string())) })
        .await?;
    Ok(session)
}
