//! What the security log records: who signed in, who signed out, and who was refused. These are
//! not changes to the program's data, so they are kept apart from the audit chain.

use crate::taxonomy::coded_enum;

coded_enum! {
    /// One kind of security event.
    SecurityEvent {
        SignIn = ("sign_in", "Signed in"),
        SignInRefused = ("sign_in_refused", "Sign-in refused: wrong email or password"),
        SignInLimited = ("sign_in_limited", "Sign-in refused: too many failed attempts"),
        SignOut = ("sign_out", "Signed out"),
    }
}
