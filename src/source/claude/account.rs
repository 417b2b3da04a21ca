//! The Claude account signed in on this machine: the `oauthAccount` block of Claude Code's
//! `.claude.json` (in a configured Claude dir, else the home folder). Only that block is parsed
//! (its account uuid and e-mail); the file's other contents (projects, settings, megabytes of
//! history) and any credentials are never parsed or kept.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// A signed-in account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// `accountUuid`: stable across e-mail changes.
    pub id: String,
    /// `emailAddress`, or empty.
    pub email: String,
}

#[derive(Deserialize)]
struct OAuthAccount {
    #[serde(rename = "accountUuid")]
    account_uuid: Option<String>,
    #[serde(rename = "emailAddress")]
    email_address: Option<String>,
}

/// Where Claude Code keeps `.claude.json`: beside a configured Claude dir (`CLAUDE_CONFIG_DIR`)
/// first, then the home folder.
pub fn candidates(claude_dirs: &[PathBuf], home: Option<&Path>) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = claude_dirs.iter().map(|d| d.join(".claude.json")).collect();
    out.extend(home.map(|h| h.join(".claude.json")));
    out
}

/// The account of the first candidate that names one; `Err` names a file that exists but could
/// not be read or is not JSON (the account is then unknown, which the caller reports).
pub fn signed_in(candidates: &[PathBuf]) -> Result<Option<Account>, String> {
    for path in candidates {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        let oauth = oauth_block(&bytes).map_err(|e| {
            format!(
                "{}: its oauthAccount is not valid JSON ({e}); the account is left unknown",
                path.display()
            )
        })?;
        let Some(oauth) = oauth else {
            continue;
        };
        let id = oauth.account_uuid.unwrap_or_default();
        let email = oauth.email_address.unwrap_or_default();
        if !id.is_empty() || !email.is_empty() {
            let id = if id.is_empty() { email.clone() } else { id };
            return Ok(Some(Account { id, email }));
        }
    }
    Ok(None)
}

/// The top-level `oauthAccount` value, parsed alone: the file can be megabytes of project
/// history that a sync has no reason to parse (or keep). Strings and nesting are only stepped
/// over, so the key inside a string or a nested object (a project's own settings) is not it.
fn oauth_block(bytes: &[u8]) -> Result<Option<OAuthAccount>, serde_json::Error> {
    const KEY: &[u8] = b"oauthAccount";
    let (mut depth, mut i) = (0usize, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let end = string_end(bytes, i + 1);
                let is_key = depth == 1 && &bytes[i + 1..end] == KEY;
                i = end + 1;
                let rest = bytes.get(i..).unwrap_or_default();
                let next = rest.iter().position(|b| !b.is_ascii_whitespace());
                if is_key && let Some(colon) = next.filter(|&c| rest[c] == b':') {
                    let value = serde_json::Deserializer::from_slice(&rest[colon + 1..])
                        .into_iter::<Option<OAuthAccount>>()
                        .next();
                    return value.transpose().map(Option::flatten);
                }
                continue;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    Ok(None)
}

/// The index of the quote that ends a string starting at `from` (past its opening quote), or
/// the end of `bytes`.
fn string_end(bytes: &[u8], from: usize) -> usize {
    let mut j = from;
    while j < bytes.len() {
        match bytes[j] {
            b'\\' => j += 2,
            b'"' => return j,
            _ => j += 1,
        }
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_file_naming_an_account_wins_and_nothing_else_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.json"), dir.path().join("b.json"));
        std::fs::write(
            &a,
            r#"{"projects":{"/x":{"history":["secret prompt"]}},"numStartups":3}"#,
        )
        .unwrap();
        std::fs::write(
            &b,
            r#"{"oauthAccount":{"accountUuid":"u-1","emailAddress":"me@x.io","organizationUuid":"o"},"primaryApiKey":"sk-..."}"#,
        )
        .unwrap();
        let missing = dir.path().join("none.json");
        let found = signed_in(&[missing, a, b]).unwrap();
        assert_eq!(
            found,
            Some(Account {
                id: "u-1".into(),
                email: "me@x.io".into()
            })
        );
    }

    #[test]
    fn only_the_top_level_key_counts() {
        let text = r#"{"history":"said \"oauthAccount\":{\"accountUuid\":\"fake\"}","oauthAccount" : {"accountUuid":"real"}}"#;
        let found = oauth_block(text.as_bytes()).unwrap().unwrap();
        assert_eq!(found.account_uuid.as_deref(), Some("real"));
        assert!(oauth_block(br#"{"oauthAccount":null}"#).unwrap().is_none());
        // A project's own block comes first in the file: not the signed-in account.
        let nested = r#"{"projects":{"/x":{"oauthAccount":{"accountUuid":"nested"}}},"k":["]"],"oauthAccount":{"accountUuid":"top"}}"#;
        let found = oauth_block(nested.as_bytes()).unwrap().unwrap();
        assert_eq!(found.account_uuid.as_deref(), Some("top"));
        let only_nested = r#"{"projects":{"/x":{"oauthAccount":{"accountUuid":"nested"}}}}"#;
        assert!(oauth_block(only_nested.as_bytes()).unwrap().is_none());
    }

    #[test]
    fn a_damaged_block_is_named_and_no_file_is_no_account() {
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join(".claude.json");
        std::fs::write(&bad, r#"{"oauthAccount":{"accountUuid":"#).unwrap();
        let err = signed_in(std::slice::from_ref(&bad)).unwrap_err();
        assert!(err.contains(".claude.json"), "{err}");
        assert_eq!(signed_in(&[dir.path().join("gone.json")]).unwrap(), None);
    }
}
