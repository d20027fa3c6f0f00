//! The problem answers an operation names in its `#[utoipa::path(responses(...))]`, beyond the
//! ones `finish` adds to every operation of its kind. Each is a shared response of
//! `components.responses`, so every operation describes a `not_found` the same way.

use std::collections::BTreeMap;
use utoipa::openapi::response::Response;
use utoipa::openapi::{Ref, RefOr};

macro_rules! fail {
    ($(#[$doc:meta])* $name:ident, $status:literal, $component:literal) => {
        $(#[$doc])*
        pub struct $name;

        impl utoipa::IntoResponses for $name {
            fn responses() -> BTreeMap<String, RefOr<Response>> {
                BTreeMap::from([($status.to_string(), RefOr::Ref(Ref::from_response_name($component)))])
            }
        }
    };
}

fail!(
    /// 400: an unreadable query string, cursor, ticket query or header.
    BadRequest, "400", "BadRequest"
);
fail!(
    /// 401 on an operation that is otherwise public (a failed sign-in).
    Unauthenticated, "401", "Unauthenticated"
);
fail!(
    /// 403 on a read: the caller's role may not read this.
    Forbidden, "403", "Forbidden"
);
fail!(
    /// 404: no such record, or one the caller may not see.
    NotFound, "404", "NotFound"
);
fail!(
    /// 409: the change clashes with the current state.
    Conflict, "409", "Conflict"
);
fail!(
    /// 412: `If-Match` names an older version.
    Stale, "412", "PreconditionFailed"
);
fail!(
    /// 413 on an upload.
    TooLarge, "413", "ContentTooLarge"
);
fail!(
    /// 422 on an operation without a JSON body (a multipart upload, a transition).
    Invalid, "422", "UnprocessableContent"
);
fail!(
    /// 410: a single-use link that was used, expired or replaced.
    Gone, "410", "Gone"
);
fail!(
    /// 429: too many failed attempts; `Retry-After` says when to try again.
    Throttled, "429", "TooManyRequests"
);
