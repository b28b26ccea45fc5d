//! Modified proposals: the user changed a proposed edit before accepting it
//! (Claude Code Edit/Write/MultiEdit results with `userModified: true`).

use serde_json::Value;

/// `(file, produced, accepted)` when a tool result says the user modified the proposal.
pub fn modified_proposal(
    tool: &str,
    input: &Value,
    response: &Value,
) -> Option<(String, String, String)> {
    if response.get("userModified").and_then(Value::as_bool) != Some(true) {
        return None;
    }
    let path = response
        .get("filePath")
        .or_else(|| input.get("file_path"))
        .and_then(Value::as_str)?
        .to_string();
    let (produced, accepted) = match tool {
        "Write" => (
            input.get("content").and_then(Value::as_str)?.to_string(),
            response.get("content").and_then(Value::as_str)?.to_string(),
        ),
        "MultiEdit" => {
            let join = |v: Option<&Value>, key: &str| {
                v.and_then(Value::as_array).map(|a| {
                    a.iter()
                        .filter_map(|e| e.get(key).and_then(Value::as_str))
                        .collect::<Vec<_>>()
                        .join("\n")
                })
            };
            (
                join(input.get("edits"), "new_string")?,
                join(response.get("edits"), "new_string")?,
            )
        }
        _ => (
            input.get("new_string").and_then(Value::as_str)?.to_string(),
            response
                .get("newString")
                .and_then(Value::as_str)?
                .to_string(),
        ),
    };
    (produced != accepted).then_some((path, produced, accepted))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn edit_with_user_modified_is_a_modified_proposal() {
        let input = json!({"file_path": "/p/a.tsx", "old_string": "x", "new_string": "export default function A"});
        let resp =
            json!({"filePath": "/p/a.tsx", "newString": "export function A", "userModified": true});
        let (p, a, b) = modified_proposal("Edit", &input, &resp).unwrap();
        assert_eq!(
            (p.as_str(), a.as_str(), b.as_str()),
            ("/p/a.tsx", "export default function A", "export function A")
        );
        let resp2 = json!({"filePath": "/p/a.tsx", "newString": "export function A", "userModified": false});
        assert!(modified_proposal("Edit", &input, &resp2).is_none());
    }
}
