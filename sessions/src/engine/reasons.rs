//! Every reason the engine and the demo write into the trail (`failure_reason`, `revoked_reason`) or on an ended
//! session (`ended_reason`). The pages show them through `reason-<name>` messages, so a reason missing here, or
//! missing a message in a language, shows as a raw word.

/// Failure reasons, then ending reasons. Hosts may write their own; these are the ones this crate writes or
/// documents.
pub const REASONS: &[&str] = &[
    // Failed sign-ins and password confirmations.
    "invalid_credentials",
    // The README's `record_failure` example: a wrong one-time code.
    "invalid_code",
    "rate_limited",
    "account_rate_limited",
    "session_rate_limited",
    "address_rate_limited",
    "overloaded",
    "reauth_failed",
    "password_change_failed",
    "access_denied",
    // Ended sessions.
    "logout",
    "user_revoked",
    "logout_everywhere",
    "password_change",
    "password_reset",
    "account_disabled",
    "admin_revoked",
    "expired",
    "pruned",
    "superseded",
];

#[cfg(test)]
mod tests {
    use super::REASONS;
    use crate::i18n::{I18n, LANGUAGES};

    #[test]
    fn every_reason_reads_as_words_in_every_language() {
        let files = [
            ("en", include_str!("../../locales/en/sessions.ftl")),
            ("es", include_str!("../../locales/es/sessions.ftl")),
        ];
        assert_eq!(files.map(|(tag, _)| tag), LANGUAGES, "a new language needs its file here");
        let mut missing = Vec::new();
        for (tag, ftl) in files {
            for reason in REASONS {
                let key = format!("reason-{reason}");
                // Lookups fall back to English, so a missing Spanish message is only visible in the file itself.
                let own = ftl.lines().any(|l| l.split_once(" =").is_some_and(|(k, _)| k == key));
                if !own || I18n::for_tag(tag).try_t(&key).is_none() {
                    missing.push(format!("{tag}: {key}"));
                }
            }
        }
        assert!(missing.is_empty(), "reasons without a message: {missing:?}");
    }
}
