//! The address hashing key from SSM Parameter Store, read once when the environment starts.

use aws_sdk_ssm::error::DisplayErrorContext;

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("ADDRESS_HASH_KEY_PARAMETER={name:?} could not be read from SSM: {detail}")]
    Unreadable { name: String, detail: String },
    #[error("ADDRESS_HASH_KEY_PARAMETER={name:?} has no value")]
    Empty { name: String },
}

/// The decrypted value of the SecureString (or String) parameter `name`.
pub(crate) async fn read_secure_string(
    client: &aws_sdk_ssm::Client,
    name: &str,
) -> Result<String, SecretError> {
    let output = client
        .get_parameter()
        .name(name)
        .with_decryption(true)
        .send()
        .await
        .map_err(|error| SecretError::Unreadable {
            name: name.to_owned(),
            detail: DisplayErrorContext(&error).to_string(),
        })?;
    output
        .parameter
        .and_then(|parameter| parameter.value)
        .filter(|value| !value.is_empty())
        .ok_or_else(|| SecretError::Empty {
            name: name.to_owned(),
        })
}
