//! The JSON Schema (draft-07) of a scenario file, generated from the very
//! types the loader reads (`raw`), for editors that check TOML against a
//! schema (Taplo, Even Better TOML: `#:schema ./scenario.schema.json`).
//! The types read by hand-written visitors get their schemas here.

use super::raw::{Document, Effect, ExprOrTerms, ExprSrc, FromScalar, ParamDecl, Scalar, Short, Term};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use std::borrow::Cow;

/// The schema as pretty JSON.
pub fn scenario_schema() -> String {
    let settings = schemars::generate::SchemaSettings::draft07();
    let schema = settings.into_generator().into_root_schema_for::<Document>();
    serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"
}

impl JsonSchema for Scalar {
    fn schema_name() -> Cow<'static, str> {
        "Scalar".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": ["number", "boolean", "string"] })
    }
}

impl JsonSchema for ExprSrc {
    fn schema_name() -> Cow<'static, str> {
        "Expression".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "An expression (docs/scenario-format.md, Expressions), or a bare number or true/false",
            "type": ["string", "number", "boolean"]
        })
    }
}

impl<T: JsonSchema + FromScalar> JsonSchema for Short<T> {
    fn schema_name() -> Cow<'static, str> {
        format!("Short{}", T::schema_name()).into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "anyOf": [
                { "type": T::SHORT_TYPES },
                generator.subschema_for::<T>(),
            ]
        })
    }
}

impl JsonSchema for Effect {
    fn schema_name() -> Cow<'static, str> {
        "Effect".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "An expression for the new value, or a distribution to draw it from",
            "anyOf": [
                { "type": ["string", "number", "boolean"] },
                generator.subschema_for::<ParamDecl>(),
            ]
        })
    }
}

impl JsonSchema for ExprOrTerms {
    fn schema_name() -> Cow<'static, str> {
        "ExpressionOrTerms".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "anyOf": [
                { "type": ["string", "number", "boolean"] },
                { "type": "array", "items": generator.subschema_for::<Term>() },
            ]
        })
    }
}
