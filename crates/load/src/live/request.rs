//! One GET to the API server, bounded: the answer's body is read up to a
//! size limit (kube-rs's `request_text` buffers any size, and a 2 GB body
//! aborted the process), and 429/5xx answers are retried a few times.

use std::time::Duration;

use http_body_util::{BodyExt, Limited};

/// Why a request brought no body.
pub(super) enum Refused {
    /// The client, the connection or the server's status (`kube::Error::Api`).
    Kube(kube::Error),
    /// The body is larger than the limit, in bytes.
    TooLarge(u64),
}

/// Waits before each retry of a request the server answered with 429 or a
/// 5xx status (overloaded, restarting, behind a load balancer with no
/// healthy backend): transient failures should not fail the whole read, and
/// persistent ones are reported after these few seconds.
pub(super) const RETRY_DELAYS: [Duration; 3] =
    [Duration::from_millis(250), Duration::from_millis(500), Duration::from_millis(1000)];

/// An error answer's `Status` is a short message; more than this is not one.
const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// GETs `target`, again after each of [`RETRY_DELAYS`] while the server
/// answers 429 or 5xx; the body of a successful answer, at most `limit` bytes.
pub(super) async fn get_with_retries(
    client: &kube::Client,
    target: &str,
    accept: &str,
    limit: u64,
) -> Result<Vec<u8>, Refused> {
    let mut delays = RETRY_DELAYS.iter();
    loop {
        match get(client, target, accept, limit).await {
            Err(Refused::Kube(kube::Error::Api(status))) if retryable(status.code) => match delays.next() {
                Some(delay) => tokio::time::sleep(*delay).await,
                None => return Err(Refused::Kube(kube::Error::Api(status))),
            },
            result => return result,
        }
    }
}

fn retryable(code: u16) -> bool {
    code == 429 || (500..600).contains(&code)
}

async fn get(client: &kube::Client, target: &str, accept: &str, limit: u64) -> Result<Vec<u8>, Refused> {
    let request = http::Request::get(target)
        .header(http::header::ACCEPT, accept)
        .body(kube::client::Body::empty())
        .map_err(|error| Refused::Kube(kube::Error::HttpError(error)))?;
    let response = client.send(request).await.map_err(Refused::Kube)?;
    let status = response.status();
    if status.is_client_error() || status.is_server_error() {
        return Err(Refused::Kube(kube::Error::Api(
            error_status(status, response.into_body()).await.boxed(),
        )));
    }
    let limit_usize = usize::try_from(limit).unwrap_or(usize::MAX);
    match Limited::new(response.into_body(), limit_usize).collect().await {
        Ok(body) => Ok(body.to_bytes().to_vec()),
        Err(error) if error.is::<http_body_util::LengthLimitError>() => Err(Refused::TooLarge(limit)),
        Err(error) => Err(Refused::Kube(kube::Error::Service(error))),
    }
}

/// The `Status` of an error answer, as kube-rs reads it, from a bounded
/// body; a body that is not one (a proxy's HTML page, or too long) leaves
/// only the HTTP status.
async fn error_status(status: http::StatusCode, body: kube::client::Body) -> kube::core::Status {
    let text = match Limited::new(body, ERROR_BODY_LIMIT).collect().await {
        Ok(body) => String::from_utf8_lossy(&body.to_bytes()).into_owned(),
        Err(_) => String::new(),
    };
    match serde_json::from_str::<kube::core::Status>(&text) {
        Ok(parsed) => parsed,
        Err(_) => {
            kube::core::Status::failure(text.trim(), "Failed to parse error data").with_code(status.as_u16())
        }
    }
}
