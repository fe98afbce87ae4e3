//! One normalization for identities (the email or username a person types), used by sign-up, sign-in, the trail,
//! the throttles and erasure alike, so two of them can never disagree about who an attempt was against.

/// Trimmed, lower-cased, at most 255 characters; empty is `None`.
///
/// Control and format characters (bidi overrides, zero-width spaces) are replaced with U+FFFD, never removed:
/// removing them would let `victim@example.com` followed by U+0001 normalize to the victim's own identity, and an
/// account registered that way would read the victim's failed attempts. Oversized input is cut, never rejected,
/// so an attacker's identity cannot make a failure row fail to save.
///
/// ```
/// use leptos_sessions::engine::normalize_identity;
/// assert_eq!(normalize_identity("  Ada@Example.COM "), Some("ada@example.com".into()));
/// assert_ne!(normalize_identity("ada@example.com\u{1}"), normalize_identity("ada@example.com"));
/// ```
#[cfg(feature = "ssr")]
pub fn normalize_identity(typed: &str) -> Option<String> {
    let s: String = typed
        .trim()
        .chars()
        .map(|c| if is_hidden(c) { char::REPLACEMENT_CHARACTER } else { c })
        .flat_map(char::to_lowercase)
        .take(255)
        .collect();
    (!s.is_empty()).then_some(s)
}

/// Whether an identity carries characters that do not show, or that reorder what is shown: a sign-up form
/// refuses them, since `U+202E moc.elpmaxe@nimda` displays as `admin@example.com`.
#[cfg(feature = "ssr")]
pub fn has_hidden_characters(typed: &str) -> bool {
    typed.trim().chars().any(is_hidden)
}

/// An identity as an operator should see it: every hidden character spelled out (`<U+202E>`), so no stored
/// identity can pass for another in a console or a terminal.
///
/// ```
/// use leptos_sessions::engine::visible_identity;
/// assert_eq!(visible_identity("\u{202e}moc.elpmaxe@nimda"), "<U+202E>moc.elpmaxe@nimda");
/// ```
pub fn visible_identity(identity: &str) -> String {
    let mut out = String::with_capacity(identity.len());
    for c in identity.chars() {
        if is_hidden(c) || c == char::REPLACEMENT_CHARACTER {
            out.push_str(&format!("<U+{:04X}>", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

fn is_hidden(c: char) -> bool {
    c.is_control() || is_format_char(c) || is_default_ignorable(c) || (c.is_whitespace() && c != ' ')
}

/// Characters that render as nothing (Unicode's Default_Ignorable_Code_Point beyond the format characters: the
/// combining grapheme joiner, Hangul fillers, variation selectors) or as a blank (the Braille blank).
fn is_default_ignorable(c: char) -> bool {
    matches!(c as u32,
        0x034F | 0x115F..=0x1160 | 0x17B4..=0x17B5 | 0x180B..=0x180F | 0x2800 | 0x3164 | 0xFE00..=0xFE0F | 0xFFA0
        | 0xFFF0..=0xFFF8 | 0xE0000..=0xE0FFF)
}

/// Unicode's format characters (general category Cf): bidi embeddings, overrides and isolates, zero-width
/// joiners and spaces, the byte-order mark, tags. The standard library has no category tables, so the ranges are
/// spelled out (Unicode 16).
pub fn is_format_char(c: char) -> bool {
    matches!(c as u32,
        0x00AD | 0x0600..=0x0605 | 0x061C | 0x06DD | 0x070F | 0x0890..=0x0891 | 0x08E2 | 0x180E
        | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x206F | 0xFEFF | 0xFFF9..=0xFFFB
        | 0x110BD | 0x110CD | 0x13430..=0x1343F | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A | 0xE0001
        | 0xE0020..=0xE007F)
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn identities_are_normalized_and_bounded() {
        assert_eq!(normalize_identity("  Ada@Example.COM\n"), Some("ada@example.com".into()));
        assert_eq!(normalize_identity("   "), None);
        assert_eq!(normalize_identity(&"x".repeat(10_000)).unwrap().chars().count(), 255);
    }

    #[test]
    fn hidden_characters_never_collapse_into_another_identity() {
        let victim = normalize_identity("victim@example.com");
        let hidden = ['\u{1}', '\u{7f}', '\u{85}', '\u{200b}', '\u{202e}', '\u{2066}', '\u{feff}', '\u{e0041}'];
        let ignorable = ['\u{34f}', '\u{115f}', '\u{3164}', '\u{fe0f}', '\u{ffa0}', '\u{2800}', '\u{e0100}'];
        for hidden in hidden.into_iter().chain(ignorable) {
            let mut typed = vec![format!("vic{hidden}tim@example.com")];
            // At either end a whitespace control (U+0085) is trimmed like a space: the same identity everywhere.
            if !hidden.is_whitespace() {
                typed.push(format!("victim@example.com{hidden}"));
            }
            for typed in typed {
                assert_ne!(normalize_identity(&typed), victim, "{typed:?}");
                assert!(has_hidden_characters(&typed), "{typed:?}");
            }
        }
        assert!(!has_hidden_characters(" ana@example.com "));
        assert!(!has_hidden_characters("josé@ejemplo.es"));
    }

    #[test]
    fn operators_see_hidden_characters_spelled_out() {
        assert_eq!(visible_identity("ana@example.com"), "ana@example.com");
        assert_eq!(visible_identity("a\u{200b}b"), "a<U+200B>b");
        assert_eq!(visible_identity(&normalize_identity("x\u{1}").unwrap()), "x<U+FFFD>");
    }
}
