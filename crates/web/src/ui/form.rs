//! Form posts of the web UI. Both extractors authenticate the session cookie, refuse a foreign
//! `Origin`, and require the session's CSRF token in the `csrf` field, so a handler cannot
//! forget any of it.

use super::{error_page, signed_in, Nav};
use crate::extract::check_same_origin;
use crate::WebState;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Form;
use axum_extra::extract::CookieJar;
use opsdesk_app::auth::Authenticated;
use opsdesk_app::App;

/// The fields of a form, in order; a name may repeat (checkboxes).
#[derive(Debug, Default)]
pub struct Fields(pub Vec<(String, String)>);

impl Fields {
    /// The first value of `name`, trimmed; empty counts as absent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim()).filter(|v| !v.is_empty())
    }

    /// The value of `name` as typed (untrimmed), or "".
    pub fn raw(&self, name: &str) -> &str {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or("")
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }
}

/// An uploaded file.
#[derive(Debug)]
pub struct Upload {
    pub filename: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

/// A url-encoded form post from a signed-in user with a valid CSRF token.
pub struct FormPost {
    pub auth: Authenticated,
    pub fields: Fields,
}

/// A multipart form post (with at most one file, field `file`) from a signed-in user with a
/// valid CSRF token.
pub struct UploadPost {
    pub auth: Authenticated,
    pub fields: Fields,
    pub file: Option<Upload>,
}

fn csrf_refused(auth: &Authenticated) -> Response {
    error_page(
        StatusCode::FORBIDDEN,
        Some(Nav::of(auth)),
        "This form has expired or did not come from this site. Go back, reload the page and try again.",
    )
}

async fn authenticate(req: Request, s: &WebState) -> Result<(Authenticated, Request), Response> {
    let (parts, body) = req.into_parts();
    if let Err(p) = check_same_origin(&parts) {
        return Err(p.into_response());
    }
    let jar = CookieJar::from_headers(&parts.headers);
    let auth = signed_in(s, &jar, &parts.uri).await?;
    Ok((auth, Request::from_parts(parts, body)))
}

impl FromRequest<WebState> for FormPost {
    type Rejection = Response;

    async fn from_request(req: Request, s: &WebState) -> Result<Self, Response> {
        let (auth, req) = authenticate(req, s).await?;
        let Ok(Form(pairs)) = Form::<Vec<(String, String)>>::from_request(req, s).await else {
            return Err(error_page(StatusCode::BAD_REQUEST, Some(Nav::of(&auth)), "The form could not be read."));
        };
        let fields = Fields(pairs);
        if !App::csrf_ok(&auth, fields.get("csrf")) {
            return Err(csrf_refused(&auth));
        }
        Ok(FormPost { auth, fields })
    }
}

impl FromRequest<WebState> for UploadPost {
    type Rejection = Response;

    async fn from_request(req: Request, s: &WebState) -> Result<Self, Response> {
        let (auth, req) = authenticate(req, s).await?;
        let unreadable = |auth: &Authenticated| {
            error_page(
                StatusCode::BAD_REQUEST,
                Some(Nav::of(auth)),
                "The form could not be read (is the file too large?).",
            )
        };
        let Ok(mut mp) = Multipart::from_request(req, s).await else { return Err(unreadable(&auth)) };
        let mut fields = Fields::default();
        let mut file = None;
        loop {
            match mp.next_field().await {
                Ok(Some(field)) => {
                    let name = field.name().unwrap_or("").to_string();
                    if name == "file" {
                        let filename = field.file_name().unwrap_or("").to_string();
                        let content_type = field.content_type().unwrap_or("application/octet-stream").to_string();
                        let Ok(data) = field.bytes().await else { return Err(unreadable(&auth)) };
                        if !data.is_empty() || !filename.is_empty() {
                            file = Some(Upload { filename, content_type, data: data.to_vec() });
                        }
                    } else {
                        let Ok(text) = field.text().await else { return Err(unreadable(&auth)) };
                        fields.0.push((name, text));
                    }
                }
                Ok(None) => break,
                Err(_) => return Err(unreadable(&auth)),
            }
        }
        if !App::csrf_ok(&auth, fields.get("csrf")) {
            return Err(csrf_refused(&auth));
        }
        let file = file.filter(|f| !f.data.is_empty());
        Ok(UploadPost { auth, fields, file })
    }
}

/// The field errors of a refused form, keyed by the form field they belong to, so a page can
/// show each next to its input. The domain's paths are mapped to the field that holds them:
/// `hours.mon[1]` belongs to `hours.mon` ("item 2: ..."), `escalations[0].group_id` to
/// `escalations` ("line 3: ..." when `line_of` knows the line it was typed on),
/// `targets.resolution` to itself.
#[derive(Debug, Default)]
pub struct FieldErrors(pub Vec<(String, String)>);

impl FieldErrors {
    pub fn of_invalid(
        errors: &[opsdesk_domain::FieldError],
        line_of: impl Fn(&str, usize) -> Option<usize>,
    ) -> FieldErrors {
        let mut out = Vec::new();
        for e in errors {
            let path = e.field.as_str();
            let (key, index) = match path.find('[') {
                Some(i) => {
                    let n = path[i + 1..].split(']').next().and_then(|n| n.parse::<usize>().ok());
                    (&path[..i], n)
                }
                None => (path, None),
            };
            // `conditions.custom_fields.vip` belongs to the custom-fields box.
            let key = match key.strip_prefix("conditions.custom_fields.") {
                Some(_) => "conditions.custom_fields",
                None => key,
            };
            let message = match index {
                Some(n) => match line_of(key, n) {
                    Some(line) => format!("line {line}: {}", e.message),
                    None => format!("item {}: {}", n + 1, e.message),
                },
                None => e.message.clone(),
            };
            out.push((key.to_string(), message));
        }
        FieldErrors(out)
    }

    pub fn push(&mut self, key: &str, message: impl Into<String>) {
        self.0.push((key.to_string(), message.into()));
    }

    /// The messages for one form field.
    pub fn at(&self, key: &str) -> Vec<&str> {
        self.0.iter().filter(|(k, _)| k == key).map(|(_, m)| m.as_str()).collect()
    }

    /// Whether any message is for this field (for `aria-invalid`).
    pub fn has(&self, key: &str) -> bool {
        self.0.iter().any(|(k, _)| k == key)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
