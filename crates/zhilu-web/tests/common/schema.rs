//! Answers checked against the server's own OpenAPI document (`/api/v1/openapi.json`): every
//! field the server sent is documented, every required one is there, each has its type.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::Resp;

/// `value` against `schema` (resolving `$ref`, `allOf`, `oneOf`/`anyOf`, nullable types, enums):
/// every field the server sent is documented, every required one is there, each has its type.
pub fn conforms(doc: &Value, schema: &Value, value: &Value, at: &str, errs: &mut Vec<String>) {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.trim_start_matches("#/components/schemas/");
        return conforms(doc, &doc["components"]["schemas"][name], value, at, errs);
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(branches) = schema[key].as_array() {
            let fits = branches.iter().any(|b| {
                let mut e = Vec::new();
                conforms(doc, b, value, at, &mut e);
                e.is_empty()
            });
            if !fits {
                errs.push(format!("{at}: {value} fits no branch of {key}"));
            }
            return;
        }
    }
    if let Some(types) = match &schema["type"] {
        Value::String(t) => Some(vec![t.as_str()]),
        Value::Array(ts) => Some(ts.iter().filter_map(Value::as_str).collect()),
        _ => None,
    } {
        let kind = match value {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        };
        let fits = types.contains(&kind) || (kind == "integer" && types.contains(&"number"));
        if !fits {
            errs.push(format!("{at}: {kind} where the document says {types:?}"));
            return;
        }
    }
    if let Some(values) = schema["enum"].as_array()
        && !values.contains(value)
    {
        errs.push(format!("{at}: {value} not in {values:?}"));
    }
    match value {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                conforms(doc, &schema["items"], item, &format!("{at}[{i}]"), errs);
            }
        }
        Value::Object(fields) => {
            let mut props = BTreeMap::new();
            let mut required = BTreeSet::new();
            collect(doc, schema, &mut props, &mut required);
            for (k, v) in fields {
                match props.get(k) {
                    Some(s) => conforms(doc, s, v, &format!("{at}.{k}"), errs),
                    None => errs.push(format!("{at}.{k}: not in the document")),
                }
            }
            for k in required {
                if !fields.contains_key(&k) {
                    errs.push(format!("{at}.{k}: required but missing"));
                }
            }
        }
        _ => {}
    }
}

/// The properties of an object schema, through `$ref` and `allOf` (serde's `flatten`).
fn collect(
    doc: &Value,
    schema: &Value,
    props: &mut BTreeMap<String, Value>,
    required: &mut BTreeSet<String>,
) {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.trim_start_matches("#/components/schemas/");
        return collect(doc, &doc["components"]["schemas"][name], props, required);
    }
    for part in schema["allOf"].as_array().into_iter().flatten() {
        collect(doc, part, props, required);
    }
    for (k, v) in schema["properties"].as_object().into_iter().flatten() {
        props.insert(k.clone(), v.clone());
    }
    for k in schema["required"].as_array().into_iter().flatten() {
        required.insert(k.as_str().unwrap_or_default().to_string());
    }
}

/// The answer `r` to `method path` against what the document says that status answers.
pub fn check(doc: &Value, method: &str, path: &str, r: &Resp, errs: &mut Vec<String>) {
    let status = r.status.to_string();
    let Some(resp) = doc["paths"][path][method]["responses"].get(&status) else {
        errs.push(format!(
            "{method} {path}: answered {status}, not documented"
        ));
        return;
    };
    let schema = &resp["content"]["application/json"]["schema"];
    if schema.is_null() {
        if !r.body.is_empty() {
            errs.push(format!(
                "{method} {path} {status}: a body where none is documented"
            ));
        }
        return;
    }
    conforms(
        doc,
        schema,
        &r.json(),
        &format!("{method} {path} {status}"),
        errs,
    );
}
