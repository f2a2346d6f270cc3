//! The hand-written deserialisers of the scenario file: bare scalars,
//! expressions (a string, or a number or boolean standing for itself),
//! effects, utilities, and the short forms of declarations (`x = 0.3` for
//! `x = { value = 0.3 }`).

use super::*;
use serde::de::{self, Deserializer, MapAccess, Visitor};

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number, true/false or a string")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
        Ok(Scalar::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
        Ok(Scalar::Num(v as f64))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
        Ok(Scalar::Num(v as f64))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
        Ok(Scalar::Num(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
        Ok(Scalar::Str(v.to_string()))
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

impl<'de> Deserialize<'de> for ExprSrc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(ExprSrc {
            text: scalar_text(d.deserialize_any(ScalarVisitor)?),
        })
    }
}

/// Reads a scalar as expression text: `"x + 1"`, `0.5`, `true`.
fn scalar_text(s: Scalar) -> String {
    match s {
        Scalar::Str(s) => s,
        other => other.to_string(),
    }
}

/// The `visit_*` methods of a visitor that reads every TOML scalar as
/// expression text and wraps it with `$wrap`.
macro_rules! scalars_as_text {
    ($value:ty, $wrap:expr) => {
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<$value, E> {
            Ok($wrap(scalar_text(Scalar::Bool(v))))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<$value, E> {
            Ok($wrap(scalar_text(Scalar::Num(v as f64))))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<$value, E> {
            Ok($wrap(scalar_text(Scalar::Num(v as f64))))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<$value, E> {
            Ok($wrap(scalar_text(Scalar::Num(v))))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<$value, E> {
            Ok($wrap(v.to_string()))
        }
    };
}

impl<'de> Deserialize<'de> for Effect {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Effect;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an expression, or a distribution table such as { uniform = [0, 10] }")
            }
            scalars_as_text!(Effect, |text| Effect::Expr(ExprSrc { text }));
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Effect, A::Error> {
                ParamDecl::deserialize(de::value::MapAccessDeserializer::new(map)).map(|p| Effect::Draw(Box::new(p)))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for ExprOrTerms {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ExprOrTerms;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an expression, or a list of terms such as [{ value = \"x\", weight = 2 }]")
            }
            scalars_as_text!(ExprOrTerms, |text| ExprOrTerms::Expr(ExprSrc { text }));
            fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<ExprOrTerms, A::Error> {
                Vec::deserialize(de::value::SeqAccessDeserializer::new(seq)).map(ExprOrTerms::Terms)
            }
        }
        d.deserialize_any(V)
    }
}

/// Types that may also be written as a bare scalar (the short form).
pub trait FromScalar: Sized {
    const EXPECTING: &'static str;
    /// The JSON types the short form may take (for the schema).
    const SHORT_TYPES: &'static [&'static str];
    fn from_scalar<E: de::Error>(s: Scalar) -> Result<Self, E>;
}

/// A declaration written either as a bare scalar or as a table of `T`.
#[derive(Debug, Clone)]
pub struct Short<T>(pub T);

struct ShortVisitor<T>(std::marker::PhantomData<T>);

impl<'de, T: FromScalar + Deserialize<'de>> Visitor<'de> for ShortVisitor<T> {
    type Value = Short<T>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        T::from_scalar(Scalar::Bool(v)).map(Short)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        T::from_scalar(Scalar::Num(v as f64)).map(Short)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        T::from_scalar(Scalar::Num(v as f64)).map(Short)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        T::from_scalar(Scalar::Num(v)).map(Short)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        T::from_scalar(Scalar::Str(v.to_string())).map(Short)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Short)
    }
}

impl<'de, T: FromScalar + Deserialize<'de>> Deserialize<'de> for Short<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ShortVisitor(std::marker::PhantomData))
    }
}

impl FromScalar for ParamDecl {
    const EXPECTING: &'static str = "a number, true/false, or a table such as { uniform = [0.1, 0.4] }";
    const SHORT_TYPES: &'static [&'static str] = &["number", "boolean"];
    fn from_scalar<E: de::Error>(s: Scalar) -> Result<Self, E> {
        match s {
            Scalar::Str(text) => Err(E::custom(format!(
                "expected a number, true/false or a distribution table, found the string {text:?}"
            ))),
            s => Ok(ParamDecl {
                value: Some(Spanned::new(0..0, s)),
                ..ParamDecl::default()
            }),
        }
    }
}

impl FromScalar for StateDecl {
    const EXPECTING: &'static str = "a number, true/false, or { initial = ... }";
    const SHORT_TYPES: &'static [&'static str] = &["number", "boolean"];
    fn from_scalar<E: de::Error>(s: Scalar) -> Result<Self, E> {
        match s {
            Scalar::Str(text) => Err(E::custom(format!(
                "expected a number or true/false, found the string {text:?}"
            ))),
            s => Ok(StateDecl {
                initial: Some(Spanned::new(0..0, s)),
                ..StateDecl::default()
            }),
        }
    }
}

impl FromScalar for BeliefDecl {
    const EXPECTING: &'static str = "an expression string, or a table with `value` or `prior` and `signals`";
    const SHORT_TYPES: &'static [&'static str] = &["string", "number", "boolean"];
    fn from_scalar<E: de::Error>(s: Scalar) -> Result<Self, E> {
        Ok(BeliefDecl {
            value: Some(Spanned::new(0..0, ExprSrc { text: scalar_text(s) })),
            ..BeliefDecl::default()
        })
    }
}
