//! What provisioning did: the report [`super::provision`] returns.

/// What provisioning did, one entry per resource.
#[derive(Debug, Clone, Default)]
pub struct ProvisionReport {
    /// Every resource created or found on the backend, in the order provisioned.
    pub resources: Vec<Provisioned>,
    /// Remarks, e.g. an existing table whose key schema differs from the template's.
    pub notes: Vec<String>,
    /// The stack's API keys with their values, which the local gateway checks.
    pub api_keys: Vec<ProvisionedKey>,
}

/// One resource of the stack as it is on the backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provisioned {
    /// Its key in the template's `Resources`.
    pub logical_id: String,
    /// `AWS::SQS::Queue`, …
    pub kind: String,
    /// Queue URL, table name, state machine ARN, secret name, or the id the backend assigned
    /// to an API key or usage plan.
    pub physical_id: String,
    /// Whether it was created, updated or found as it should be.
    pub action: Action,
}

/// What provisioning did to a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Did not exist; created from the template.
    Created,
    /// Existed; its settings were updated to the template's.
    Updated,
    /// Existed and was left as it is.
    Reused,
}

/// An API key as the backend holds it. `value` is a credential: never log it.
#[derive(Clone, PartialEq, Eq)]
pub struct ProvisionedKey {
    /// Its key in the template's `Resources`.
    pub logical_id: String,
    /// The id the backend assigned.
    pub id: String,
    /// The key's value (the template's `Value`, or one the backend generated): what clients
    /// send in the API key header.
    pub value: String,
    /// Whether the backend has the key enabled; a disabled key is refused.
    pub enabled: bool,
}

impl std::fmt::Debug for ProvisionedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProvisionedKey")
            .field("logical_id", &self.logical_id)
            .field("id", &self.id)
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}
