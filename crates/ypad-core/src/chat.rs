//! Chat lives in the pad document, as the `Y.Array` named `chat` of plain JSON objects, so it is
//! stored, synced and replayed with the pad like everything else.

use serde::{Deserialize, Serialize};
use yrs::{Any, Array, ArrayRef, Out, ReadTxn};

/// Name of the shared array that holds a pad's chat.
pub const CHAT_NAME: &str = "chat";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatMessage {
    #[serde(default)]
    pub id: String,
    pub text: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub color: Option<String>,
    /// Milliseconds since the Unix epoch.
    #[serde(default)]
    pub time: u64,
    /// The server-side author id, when the message came through the API or an import.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author_id: Option<String>,
}

/// Every well-formed message, in order; entries that are not chat messages are skipped.
pub fn read<T: ReadTxn>(chat: &ArrayRef, txn: &T) -> Vec<ChatMessage> {
    chat.iter(txn)
        .filter_map(|item| match item {
            Out::Any(any) => serde_json::to_value(&any)
                .ok()
                .and_then(|v| serde_json::from_value(v).ok()),
            _ => None,
        })
        .collect()
}

/// The message as the JSON object stock clients push.
pub fn to_any(message: &ChatMessage) -> Any {
    let json = serde_json::to_value(message).expect("a chat message serializes");
    serde_json::from_value(json).expect("JSON converts to Any")
}
