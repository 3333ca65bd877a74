//! A client operation of a checked history in a few words (`put x=1 → rev 3`), for the Check
//! panel's bars and its first sentence on a violation.

use check::history::{Input, Output};

/// `input` and `output` in a few words: `put x=1 → rev 3`.
pub fn describe(input: &Input, output: &Output) -> String {
    let ask = match input {
        Input::Put { key, value } => format!("put {key}={value}"),
        Input::PutWithLease { key, value, lease } => format!("put {key}={value} lease {lease:x}"),
        Input::Get {
            key,
            revision: None,
        } => format!("get {key}"),
        Input::Get {
            key,
            revision: Some(r),
        } => format!("get {key} @{r}"),
        Input::Range { key, range_end, .. } => {
            format!("range {key}..{}", range_end.escape_default())
        }
        Input::Delete { key } => format!("del {key}"),
        Input::DeleteRange { key, range_end } => {
            format!("del {key}..{}", range_end.escape_default())
        }
        Input::Cas {
            key,
            expected_mod_revision,
            value,
        } => format!("cas {key} mod={expected_mod_revision} → {value}"),
        Input::Txn {
            compares,
            success,
            failure,
        } => format!(
            "txn {} cmp, {}/{} writes",
            compares.len(),
            success.len(),
            failure.len()
        ),
        Input::LeaseGrant { id, .. } => format!("lease grant {id:x}"),
        Input::LeaseRevoke { id } => format!("lease revoke {id:x}"),
        Input::Compact { revision } => format!("compact {revision}"),
    };
    let got = match output {
        Output::Put { revision } => format!("ok @{revision}"),
        Output::Get {
            kv: Some((v, m)),
            revision,
        } => format!("{v} (mod {m}) @{revision}"),
        Output::Get { kv: None, revision } => format!("none @{revision}"),
        Output::Range { kvs, revision, .. } => format!("{} keys @{revision}", kvs.len()),
        Output::Compact { revision } => format!("compacted @{revision}"),
        Output::Delete { deleted, revision } => format!("deleted {deleted} @{revision}"),
        Output::Cas {
            succeeded,
            revision,
        } => format!("{} @{revision}", if *succeeded { "ok" } else { "failed" }),
        Output::Lease { revision, .. } => format!("ok @{revision}"),
        Output::Rejected { reason } => format!("rejected ({reason:?})"),
        Output::Unknown => "unknown".to_string(),
    };
    format!("{ask} → {got}")
}
