//! A y-websocket client over a real yrs document, speaking the protocol as stock clients do.

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};
use ypad_core::protocol::{self, Message as Y};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{Doc, GetString, ReadTxn, StateVector, Text, TextRef, Transact, Update};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Something the client received.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Synced,
    Update,
    Awareness(Vec<u8>),
    Auth,
    Closed(Option<u16>),
}

pub struct Client {
    pub doc: Doc,
    pub text: TextRef,
    socket: Option<Socket>,
    /// Sent as the `Cookie` header on every (re)connect.
    cookie: Option<String>,
    /// Every byte of every frame received since `record` was called, when it was.
    recorded: Option<Vec<u8>>,
}

impl Client {
    /// A client with its own document, not yet connected.
    pub fn new(client_id: u64) -> Client {
        let doc = Doc::with_client_id(client_id);
        let text = doc.get_or_insert_text(ypad_core::doc::TEXT_NAME);
        Client {
            doc,
            text,
            socket: None,
            cookie: None,
            recorded: None,
        }
    }

    /// Keeps every frame received from now on, for tests that check what a connection is told.
    pub fn record(&mut self) {
        self.recorded = Some(Vec::new());
    }

    /// The frames received since `record`, one after another.
    pub fn recorded(&self) -> &[u8] {
        self.recorded.as_deref().unwrap_or_default()
    }

    /// Connects and completes the sync handshake (both step 2s exchanged).
    pub async fn connect(url: &str, client_id: u64) -> Client {
        let mut c = Client::new(client_id);
        c.reconnect(url).await;
        c
    }

    /// Connects with an identity cookie (`ypad_token`), as a browser does.
    pub async fn connect_as(url: &str, client_id: u64, token: &str) -> Client {
        Self::connect_with_cookie(url, client_id, &format!("ypad_token={token}")).await
    }

    /// Connects sending `cookie` (a `Cookie` header's value), as a browser does.
    pub async fn connect_with_cookie(url: &str, client_id: u64, cookie: &str) -> Client {
        let mut c = Client::new(client_id);
        c.cookie = Some(cookie.to_owned());
        c.reconnect(url).await;
        c
    }

    /// (Re)connects with the current document and waits until synced.
    pub async fn reconnect(&mut self, url: &str) {
        let mut request = url.into_client_request().expect("a websocket URL");
        if let Some(cookie) = &self.cookie {
            let cookie = cookie.parse().expect("a header value");
            request.headers_mut().insert("cookie", cookie);
        }
        let (socket, _) = connect_async(request).await.expect("websocket connects");
        self.socket = Some(socket);
        let sv = self.doc.transact().state_vector().encode_v1();
        self.send_raw(protocol::encode_sync_step1(&sv).to_vec())
            .await;
        crate::within("sync step 2 from the server", async {
            loop {
                match self.next_event().await {
                    Event::Synced => break,
                    Event::Closed(code) => panic!("closed during handshake: {code:?}"),
                    _ => {}
                }
            }
        })
        .await;
    }

    /// The Yjs client id this client writes with.
    pub fn client_id(&self) -> u64 {
        self.doc.client_id().get()
    }

    pub fn is_connected(&self) -> bool {
        self.socket.is_some()
    }

    pub fn disconnect(&mut self) {
        self.socket = None;
    }

    pub fn text(&self) -> String {
        self.text.get_string(&self.doc.transact())
    }

    /// Length of the text in UTF-16 code units.
    pub fn text_len(&self) -> u32 {
        self.text.len(&self.doc.transact())
    }

    /// Edits locally and, when connected, sends the update.
    pub async fn insert(&mut self, index: u32, s: &str) {
        let update = {
            let mut txn = self.doc.transact_mut();
            self.text.insert(&mut txn, index, s);
            txn.encode_update_v1()
        };
        self.send_update(&update).await;
    }

    pub async fn delete(&mut self, index: u32, len: u32) {
        let update = {
            let mut txn = self.doc.transact_mut();
            self.text.remove_range(&mut txn, index, len);
            txn.encode_update_v1()
        };
        self.send_update(&update).await;
    }

    /// The update holding everything this client has that a peer with `state_vector` lacks.
    pub fn diff(&self, state_vector: &[u8]) -> Vec<u8> {
        let sv = StateVector::decode_v1(state_vector).unwrap();
        self.doc.transact().encode_state_as_update_v1(&sv)
    }

    /// Applies an update received out of band (another replica's edits).
    pub fn merge(&mut self, update: &[u8]) {
        self.apply(update);
    }

    async fn send_update(&mut self, update: &[u8]) {
        if self.socket.is_some() {
            self.send_raw(protocol::encode_update(update).to_vec())
                .await;
        }
    }

    pub async fn send_awareness(&mut self, clock: u64, json: &str) {
        let mut u = Vec::new();
        protocol::write_var(&mut u, 1);
        protocol::write_var(&mut u, self.doc.client_id().get());
        protocol::write_var(&mut u, clock);
        protocol::write_buf(&mut u, json.as_bytes());
        self.send_raw(protocol::encode_awareness(&u).to_vec()).await;
    }

    pub async fn send_raw(&mut self, frame: Vec<u8>) {
        self.send(Message::Binary(frame.into())).await;
    }

    pub async fn send(&mut self, message: Message) {
        let socket = self.socket.as_mut().expect("connected");
        // A send to a socket the server already closed is not an error of the test: the close
        // shows up as the next event.
        let _ = socket.send(message).await;
    }

    /// Reads one frame and applies it, answering step 1 as a stock client does.
    pub async fn next_event(&mut self) -> Event {
        loop {
            let Some(socket) = self.socket.as_mut() else {
                return Event::Closed(None);
            };
            let msg = match socket.next().await {
                None | Some(Err(_)) => {
                    self.socket = None;
                    return Event::Closed(None);
                }
                Some(Ok(msg)) => msg,
            };
            match msg {
                Message::Binary(frame) => return self.handle(&frame).await,
                Message::Close(frame) => {
                    self.socket = None;
                    return Event::Closed(frame.map(|f: CloseFrame| u16::from(f.code)));
                }
                _ => continue,
            }
        }
    }

    async fn handle(&mut self, frame: &[u8]) -> Event {
        if let Some(recorded) = &mut self.recorded {
            recorded.extend_from_slice(frame);
        }
        match protocol::decode(frame).expect("server frames decode") {
            Y::SyncStep1(sv) => {
                let sv = StateVector::decode_v1(sv).unwrap();
                let diff = self.doc.transact().encode_state_as_update_v1(&sv);
                self.send_raw(protocol::encode_sync_step2(&diff).to_vec())
                    .await;
                Event::Update
            }
            Y::SyncStep2(u) => {
                self.apply(u);
                Event::Synced
            }
            Y::Update(u) => {
                self.apply(u);
                Event::Update
            }
            Y::Awareness(a) => Event::Awareness(a.to_vec()),
            Y::Auth => Event::Auth,
            Y::QueryAwareness | Y::AuthoredUpdate { .. } => Event::Update,
        }
    }

    fn apply(&mut self, update: &[u8]) {
        self.doc
            .transact_mut()
            .apply_update(Update::decode_v1(update).unwrap())
            .unwrap();
    }

    /// Pumps frames until the text equals `expected`.
    pub async fn wait_text(&mut self, expected: &str) {
        let what = format!("text {expected:?}");
        crate::within(&what, async {
            while self.text() != expected {
                if let Event::Closed(code) = self.next_event().await {
                    panic!(
                        "closed ({code:?}) while waiting for {expected:?}, have {:?}",
                        self.text()
                    );
                }
            }
        })
        .await;
    }

    /// Pumps frames until the connection closes; returns the close code.
    pub async fn wait_closed(&mut self) -> Option<u16> {
        crate::within("the server to close the connection", async {
            loop {
                if let Event::Closed(code) = self.next_event().await {
                    return code;
                }
            }
        })
        .await
    }

    /// Pumps frames until an awareness frame arrives; returns its payload.
    pub async fn wait_awareness(&mut self) -> Vec<u8> {
        crate::within("an awareness update", async {
            loop {
                match self.next_event().await {
                    Event::Awareness(a) => return a,
                    Event::Closed(code) => panic!("closed ({code:?}) waiting for awareness"),
                    _ => {}
                }
            }
        })
        .await
    }
}
