//! The shape every generated resource shares: `resource!` writes the type, its serde form (with
//! `apiVersion` and `kind`) and its `kube::core::Resource` and `kube::core::CustomResourceExt`
//! implementations; [`KindInfo`] names a resource type's API facts.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::core::{CustomResourceExt, Resource};
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The API facts of one generated resource type, as its `Resource` implementation gives them,
/// with a way to read a JSON object as that type and write it back.
#[derive(Clone, Debug)]
pub struct KindInfo {
    /// The kind, `VirtualService`.
    pub kind: String,
    /// The API group, `networking.istio.io`.
    pub group: String,
    /// The version, `v1`.
    pub version: String,
    /// The plural name of the kind in URLs, `virtualservices`.
    pub plural: String,
    /// Reads a JSON object as the type and writes it back to JSON (what the type keeps).
    pub reserialize: fn(&serde_json::Value) -> Result<serde_json::Value, serde_json::Error>,
    /// The type's CRD with this version only ([`CustomResourceExt::crd`]).
    pub crd: fn() -> CustomResourceDefinition,
}

impl KindInfo {
    /// The facts of resource type `K`.
    pub fn of<K>() -> Self
    where
        K: Resource<DynamicType = ()> + CustomResourceExt + Serialize + DeserializeOwned,
    {
        Self {
            kind: K::kind(&()).into_owned(),
            group: K::group(&()).into_owned(),
            version: K::version(&()).into_owned(),
            plural: K::plural(&()).into_owned(),
            reserialize: reserialize::<K>,
            crd: K::crd,
        }
    }

    /// `group/version`.
    pub fn api_version(&self) -> String {
        format!("{}/{}", self.group, self.version)
    }
}

fn reserialize<K: Serialize + DeserializeOwned>(
    value: &serde_json::Value,
) -> Result<serde_json::Value, serde_json::Error> {
    let typed: K = serde_json::from_value(value.clone())?;
    serde_json::to_value(&typed)
}

/// The wire form of a resource, written.
#[derive(Serialize)]
struct WireOut<'a, S, St> {
    #[serde(rename = "apiVersion")]
    api_version: &'a str,
    kind: &'a str,
    metadata: &'a ObjectMeta,
    spec: &'a S,
    #[serde(skip_serializing_if = "is_none")]
    status: &'a Option<St>,
}

fn is_none<T>(value: &&Option<T>) -> bool {
    value.is_none()
}

/// The wire form of a resource, read.
#[derive(Deserialize)]
struct WireIn {
    #[serde(rename = "apiVersion")]
    api_version: Option<String>,
    kind: Option<String>,
    #[serde(default)]
    metadata: ObjectMeta,
    /// Read as the spec type once `apiVersion` and `kind` are known to be right.
    #[serde(default)]
    spec: Option<serde_json::Value>,
    #[serde(default)]
    status: Option<serde_json::Value>,
}

/// Writes a resource with its `apiVersion` and `kind`.
pub(crate) fn serialize<S: Serialize, St: Serialize, W: Serializer>(
    serializer: W,
    (api_version, kind): (&str, &str),
    metadata: &ObjectMeta,
    spec: &S,
    status: &Option<St>,
) -> Result<W::Ok, W::Error> {
    WireOut {
        api_version,
        kind,
        metadata,
        spec,
        status,
    }
    .serialize(serializer)
}

/// Reads a resource: `apiVersion` and `kind` must be the type's when present, `spec` must be
/// present when the schema requires it.
pub(crate) fn deserialize<'de, S, St, D>(
    deserializer: D,
    (api_version, kind): (&str, &str),
    spec_required: bool,
) -> Result<(ObjectMeta, S, Option<St>), D::Error>
where
    S: DeserializeOwned + Default,
    St: DeserializeOwned,
    D: Deserializer<'de>,
{
    let wire = WireIn::deserialize(deserializer)?;
    for (field, found, expected) in [
        ("apiVersion", &wire.api_version, api_version),
        ("kind", &wire.kind, kind),
    ] {
        if let Some(found) = found
            && found != expected
        {
            return Err(D::Error::custom(format!(
                "{field}: expected `{expected}`, found `{found}`"
            )));
        }
    }
    let spec = match wire.spec {
        Some(spec) => S::deserialize(spec).map_err(|e| D::Error::custom(format!("spec: {e}")))?,
        None if spec_required => return Err(D::Error::missing_field("spec")),
        None => S::default(),
    };
    let status = match wire.status {
        Some(status) => {
            Some(St::deserialize(status).map_err(|e| D::Error::custom(format!("status: {e}")))?)
        }
        None => None,
    };
    Ok((wire.metadata, spec, status))
}

/// Writes a resource type:
/// `resource!(Name, Spec, Status, spec_required, group, version, kind, plural, [short names])`.
macro_rules! resource {
    ($name:ident, $spec:ident, $status:ty, $spec_required:literal, $group:literal, $version:literal, $kind:literal, $plural:literal, [$($short:literal),*]) => {
        #[doc = concat!("A `", $kind, "` of `", $group, "/", $version, "`.")]
        #[derive(Clone, Debug, Default, PartialEq)]
        pub struct $name {
            /// The object's metadata (name, namespace, labels, ...).
            pub metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
            /// What the resource asks for.
            pub spec: $spec,
            /// What istiod reports about it.
            pub status: Option<$status>,
        }

        impl $name {
            /// `group/version` of this type.
            pub const API_VERSION: &'static str = concat!($group, "/", $version);
            /// The kind of this type.
            pub const KIND: &'static str = $kind;
            /// The name of this type's CustomResourceDefinition, `<plural>.<group>`.
            pub const CRD_NAME: &'static str = concat!($plural, ".", $group);

            /// A resource named `name` (no namespace, no status) with `spec`.
            pub fn new(name: &str, spec: $spec) -> Self {
                Self {
                    metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                        name: Some(name.to_string()),
                        ..Default::default()
                    },
                    spec,
                    status: None,
                }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                $crate::resource::serialize(
                    serializer,
                    (Self::API_VERSION, Self::KIND),
                    &self.metadata,
                    &self.spec,
                    &self.status,
                )
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let (metadata, spec, status) = $crate::resource::deserialize(
                    deserializer,
                    (Self::API_VERSION, Self::KIND),
                    $spec_required,
                )?;
                Ok(Self {
                    metadata,
                    spec,
                    status,
                })
            }
        }

        impl kube::core::Resource for $name {
            type DynamicType = ();
            type Scope = kube::core::NamespaceResourceScope;

            fn kind(_: &()) -> std::borrow::Cow<'_, str> {
                std::borrow::Cow::Borrowed($kind)
            }
            fn group(_: &()) -> std::borrow::Cow<'_, str> {
                std::borrow::Cow::Borrowed($group)
            }
            fn version(_: &()) -> std::borrow::Cow<'_, str> {
                std::borrow::Cow::Borrowed($version)
            }
            fn api_version(_: &()) -> std::borrow::Cow<'_, str> {
                std::borrow::Cow::Borrowed(Self::API_VERSION)
            }
            fn plural(_: &()) -> std::borrow::Cow<'_, str> {
                std::borrow::Cow::Borrowed($plural)
            }
            fn meta(&self) -> &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                &self.metadata
            }
            fn meta_mut(
                &mut self,
            ) -> &mut k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                &mut self.metadata
            }
        }

        impl kube::core::CustomResourceExt for $name {
            /// The CRD of this kind with this version only, served and stored, with its full
            /// schema; [`crate::crds`] has the CRD with all versions as mesh installs it.
            fn crd() -> k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition {
                $crate::crd::version_crd(Self::CRD_NAME, $version)
            }
            fn crd_name() -> &'static str {
                Self::CRD_NAME
            }
            fn api_resource() -> kube::core::ApiResource {
                kube::core::ApiResource::erase::<Self>(&())
            }
            fn shortnames() -> &'static [&'static str] {
                &[$($short),*]
            }
        }
    };
}
