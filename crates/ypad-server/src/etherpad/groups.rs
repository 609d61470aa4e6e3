//! Etherpad's groups and sessions, for the portals that embed pads (BigBlueButton, Moodle,
//! Nextcloud, Decidim): a group owns pads named `{group}$name`; a session lets one author into
//! one group's pads until a time, through the browser's `sessionID` cookie.

use serde_json::{Map, Value, json};
use ypad_core::PadId;
use ypad_engine::{Edit, new_group_id, new_session_id, wall_ms};
use ypad_store::{Group, GroupSession};

use super::ApiError;
use super::params::Params;
use crate::state::AppState;

/// The functions of this module, with the version that introduced each.
pub(super) const FUNCTIONS: &[(&str, &str)] = &[
    ("createGroup", "1"),
    ("createGroupIfNotExistsFor", "1"),
    ("deleteGroup", "1"),
    ("listPads", "1"),
    ("createGroupPad", "1"),
    ("createSession", "1"),
    ("deleteSession", "1"),
    ("getSessionInfo", "1"),
    ("listSessionsOfGroup", "1"),
    ("listSessionsOfAuthor", "1"),
    ("setPublicStatus", "1"),
    ("getPublicStatus", "1"),
    ("isPasswordProtected", "1"),
    ("listAllGroups", "1.1"),
];

pub(super) async fn call(
    state: &AppState,
    function: &str,
    p: &Params,
) -> Option<Result<Value, ApiError>> {
    Some(match function {
        "createGroup" => create_group(state, None).await,
        "createGroupIfNotExistsFor" => match p.required("groupMapper") {
            Ok(mapper) => create_group(state, Some(mapper.to_owned())).await,
            Err(e) => Err(e),
        },
        "deleteGroup" => delete_group(state, p).await,
        "listPads" => list_pads(state, p).await,
        "createGroupPad" => create_group_pad(state, p).await,
        "listAllGroups" => list_all_groups(state).await,
        "createSession" => create_session(state, p).await,
        "deleteSession" => delete_session(state, p).await,
        "getSessionInfo" => get_session_info(state, p).await,
        "listSessionsOfGroup" => list_sessions(state, p, "groupID").await,
        "listSessionsOfAuthor" => list_sessions(state, p, "authorID").await,
        "setPublicStatus" => set_public_status(state, p).await,
        "getPublicStatus" => get_public_status(state, p).await,
        "isPasswordProtected" => match group_pad(state, p).await {
            Ok(_) => Ok(json!({ "isPasswordProtected": false })),
            Err(e) => Err(e),
        },
        _ => return None,
    })
}

async fn create_group(state: &AppState, mapper: Option<String>) -> Result<Value, ApiError> {
    let candidate = Group {
        id: new_group_id(),
        mapper: mapper.clone(),
        created_ms: wall_ms(),
    };
    let group = state
        .engine
        .blocking(move |s| match &mapper {
            Some(mapper) => s.group_for_mapper(mapper, &candidate),
            None => s.put_group(&candidate).map(|()| candidate),
        })
        .await?;
    Ok(json!({ "groupID": group.id }))
}

/// The group named by `groupID`, which must exist.
async fn existing_group(state: &AppState, p: &Params) -> Result<Group, ApiError> {
    let id = p.required("groupID")?.to_owned();
    state
        .engine
        .blocking(move |s| s.group(&id))
        .await?
        .ok_or_else(|| ApiError::bad("groupID does not exist"))
}

/// The group's pads, in id order.
async fn pads_of(state: &AppState, group: &str) -> Result<Vec<String>, ApiError> {
    let prefix = format!("{group}$");
    let mut pads: Vec<String> = state
        .engine
        .blocking(|s| s.list())
        .await?
        .into_iter()
        .map(|m| m.id)
        .filter(|id| id.starts_with(&prefix))
        .collect();
    pads.sort();
    Ok(pads)
}

async fn delete_group(state: &AppState, p: &Params) -> Result<Value, ApiError> {
    let group = existing_group(state, p).await?;
    for pad in pads_of(state, &group.id).await? {
        if let Ok(id) = PadId::parse(&pad) {
            state.engine.delete(&id).await?;
        }
    }
    let id = group.id.clone();
    state.engine.blocking(move |s| s.delete_group(&id)).await?;
    // Browsers in the group's pads leave at once.
    let _ = state.revoked.send(group.id);
    Ok(Value::Null)
}

async fn list_pads(state: &AppState, p: &Params) -> Result<Value, ApiError> {
    let group = existing_group(state, p).await?;
    Ok(json!({ "padIDs": pads_of(state, &group.id).await? }))
}

async fn create_group_pad(state: &AppState, p: &Params) -> Result<Value, ApiError> {
    let group = existing_group(state, p).await?;
    let name = p.required("padName")?;
    let id = PadId::parse(&format!("{}${name}", group.id))
        .map_err(|e| ApiError::bad(format!("padName: {e}")))?;
    if state.engine.head(&id).await?.is_some() {
        return Err(ApiError::bad("padName does already exist"));
    }
    let key = id.to_string();
    state
        .engine
        .blocking(move |s| s.create(&key, wall_ms()))
        .await?;
    if let Some(text) = p.get("text").filter(|t| !t.is_empty()) {
        let author = p.get("authorId").filter(|a| !a.is_empty());
        let pad = state.engine.checkout(&id).await?;
        pad.apply(author, Edit::Replace(text.to_owned()))?;
    }
    Ok(json!({ "padID": id.as_str() }))
}

async fn list_all_groups(state: &AppState) -> Result<Value, ApiError> {
    let groups = state.engine.blocking(|s| s.groups()).await?;
    let ids: Vec<String> = groups.into_iter().map(|g| g.id).collect();
    Ok(json!({ "groupIDs": ids }))
}

async fn create_session(state: &AppState, p: &Params) -> Result<Value, ApiError> {
    let group = existing_group(state, p).await?;
    let author_id = p.required("authorID")?.to_owned();
    let valid_until = p
        .number("validUntil")
        .map_err(|_| ApiError::bad("validUntil is not a number"))?
        .ok_or_else(|| ApiError::bad("validUntil is missing"))?;
    if valid_until < wall_ms() / 1000 {
        return Err(ApiError::bad("validUntil is in the past"));
    }
    let key = author_id.clone();
    if state
        .engine
        .blocking(move |s| s.author(&key))
        .await?
        .is_none()
    {
        return Err(ApiError::bad("authorID doesn't exist"));
    }
    let session = GroupSession {
        id: new_session_id(),
        group_id: group.id,
        author_id,
        valid_until,
    };
    let stored = session.clone();
    state
        .engine
        .blocking(move |s| s.put_session(&stored))
        .await?;
    Ok(json!({ "sessionID": session.id }))
}

async fn existing_session(state: &AppState, p: &Params) -> Result<GroupSession, ApiError> {
    let id = p.required("sessionID")?.to_owned();
    state
        .engine
        .blocking(move |s| s.session(&id))
        .await?
        .ok_or_else(|| ApiError::bad("sessionID does not exist"))
}

fn session_json(session: &GroupSession) -> Value {
    json!({
        "groupID": session.group_id,
        "authorID": session.author_id,
        "validUntil": session.valid_until,
    })
}

async fn delete_session(state: &AppState, p: &Params) -> Result<Value, ApiError> {
    let session = existing_session(state, p).await?;
    let id = session.id.clone();
    state
        .engine
        .blocking(move |s| s.delete_session(&id))
        .await?;
    // Browsers it let in leave at once.
    let _ = state.revoked.send(session.id);
    Ok(Value::Null)
}

async fn get_session_info(state: &AppState, p: &Params) -> Result<Value, ApiError> {
    Ok(session_json(&existing_session(state, p).await?))
}

/// `listSessionsOfGroup` / `listSessionsOfAuthor`: `{sessionID: info}`, or null when there are
/// none, as Etherpad answers.
async fn list_sessions(state: &AppState, p: &Params, by: &str) -> Result<Value, ApiError> {
    let wanted = if by == "groupID" {
        existing_group(state, p).await?.id
    } else {
        p.required(by)?.to_owned()
    };
    let sessions = state.engine.blocking(|s| s.sessions()).await?;
    let listed: Map<String, Value> = sessions
        .iter()
        .filter(|s| {
            if by == "groupID" {
                s.group_id == wanted
            } else {
                s.author_id == wanted
            }
        })
        .map(|s| (s.id.clone(), session_json(s)))
        .collect();
    Ok(if listed.is_empty() {
        Value::Null
    } else {
        Value::Object(listed)
    })
}

/// The group pad named by `padID`, which must exist.
async fn group_pad(state: &AppState, p: &Params) -> Result<PadId, ApiError> {
    let raw = p.required("padID")?;
    let id = PadId::parse(raw).map_err(|e| ApiError::bad(format!("padID: {e}")))?;
    if state.engine.head(&id).await?.is_none() {
        return Err(ApiError::bad("padID does not exist"));
    }
    if id.group().is_none() {
        return Err(ApiError::bad(
            "You can only get/set the publicStatus of pads that belong to a group",
        ));
    }
    Ok(id)
}

async fn set_public_status(state: &AppState, p: &Params) -> Result<Value, ApiError> {
    let id = group_pad(state, p).await?;
    let public = p.flag("publicStatus");
    let key = id.to_string();
    state
        .engine
        .blocking(move |s| s.set_public(&key, public))
        .await?;
    Ok(Value::Null)
}

async fn get_public_status(state: &AppState, p: &Params) -> Result<Value, ApiError> {
    let id = group_pad(state, p).await?;
    let key = id.to_string();
    let public = state.engine.blocking(move |s| s.is_public(&key)).await?;
    Ok(json!({ "publicStatus": public }))
}
