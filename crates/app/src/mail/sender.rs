//! The person behind an inbound message. A new sender's requester account is validated before
//! the message's transaction and inserted inside it, so a failure anywhere leaves neither a
//! user without a message nor a message without its user.

use crate::users::insert_user_recorded;
use crate::Result;
use opsdesk_domain::{Actor, Email, Locale, PersonName, Role, TimeZoneName};
use opsdesk_store::users::{NewUser, User};
use opsdesk_store::{Ts, Tx};

/// The id a not-yet-stored requester carries while its ticket is prepared; replaced by the
/// real id inside the transaction (see `PreparedTicket::with_requester`).
const PENDING_ID: i64 = 0;

/// A new sender as the requester it will become: validated, not stored. `None` when the
/// address is not one we can create an account for.
pub(super) fn pending_requester(address: &str, name: Option<&str>, now: Ts) -> Option<User> {
    let email = Email::parse(address).ok()?;
    let local = email.as_str().split('@').next().unwrap_or(email.as_str()).to_string();
    let name = name
        .and_then(|n| PersonName::parse(n).ok())
        .or_else(|| PersonName::parse(&local).ok())
        .map(|n| n.as_str().to_string())?;
    Some(User {
        id: PENDING_ID,
        email: email.as_str().to_string(),
        name,
        role: Role::Requester,
        time_zone: TimeZoneName::utc().as_str().to_string(),
        locale: Locale::english().as_str().to_string(),
        organization_id: None,
        active: true,
        sees_all_groups: false,
        manager_id: None,
        created_at: now,
        updated_at: now,
    })
}

/// The stored user for a pending requester, inside `tx`: the account a parallel delivery or
/// an admin created meanwhile, or a new one (with its audit entry and event). Callers hold
/// the sender lock (`Tx::lock_mail_sender`), so two deliveries from one new address do not
/// race each other here; a race with an admin creating the same address fails the
/// transaction as a whole, which the MTA retries.
pub(super) async fn store_requester(tx: &mut Tx, pending: &User, now: Ts) -> Result<User> {
    if pending.id != PENDING_ID {
        return Ok(pending.clone());
    }
    if let Some(u) = tx.user_by_email(&pending.email).await? {
        return Ok(u);
    }
    let new = NewUser {
        email: &pending.email,
        name: &pending.name,
        role: Role::Requester,
        time_zone: &pending.time_zone,
        locale: &pending.locale,
        password_hash: None,
        organization_id: None,
    };
    insert_user_recorded(tx, &Actor::system(), &new, now).await
}
