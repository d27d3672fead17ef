//! `string_enum!`: the Rust enum of a string field the schema enumerates (`_enum`), keeping a
//! value it does not list in `Other` so that a resource reads and writes back unchanged.

/// Writes an enum: `string_enum!(Name, "doc", [(Variant, "VALUE"), ...])`. The first value is
/// the default (protobuf's zero value comes first in Istio's enumerations).
macro_rules! string_enum {
    ($name:ident, $doc:literal, [($first:ident, $first_value:literal) $(, ($variant:ident, $value:literal))* $(,)?]) => {
        #[doc = $doc]
        ///
        /// Reads from and writes to the value's text; a text the schema does not list is kept
        /// in `Other` (the API server refuses it, a newer Istio may not).
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            #[doc = concat!("`", $first_value, "`.")]
            $first,
            $(
                #[doc = concat!("`", $value, "`.")]
                $variant,
            )*
            /// A value the schema does not list, as written.
            Other(String),
        }

        impl $name {
            /// Every value the schema lists, in its order.
            pub const VALUES: &'static [&'static str] = &[$first_value $(, $value)*];

            /// The value's text, as a resource has it.
            pub fn as_str(&self) -> &str {
                match self {
                    Self::$first => $first_value,
                    $(Self::$variant => $value,)*
                    Self::Other(text) => text,
                }
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::$first
            }
        }

        impl From<&str> for $name {
            /// The listed value with this text, or `Other`.
            fn from(text: &str) -> Self {
                match text {
                    $first_value => Self::$first,
                    $($value => Self::$variant,)*
                    other => Self::Other(other.to_string()),
                }
            }
        }

        impl From<String> for $name {
            /// The listed value with this text, or `Other` keeping it.
            fn from(text: String) -> Self {
                match Self::from(text.as_str()) {
                    Self::Other(_) => Self::Other(text),
                    known => known,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                <String as serde::Deserialize>::deserialize(deserializer).map(Self::from)
            }
        }
    };
}
