//! A minimal WebSocket client over a plain `TcpStream`: the opening handshake, then frames read
//! in place from one reusable buffer and written from another.
//!
//! The generator holds up to 10,000 sockets that mostly just count what arrives, so a general
//! client (tokio-tungstenite allocates a message per frame and keeps larger buffers) would make
//! the generator, not the server, the bottleneck. This one parses frame headers in the read
//! buffer and hands out payload ranges; nothing is allocated per frame. It speaks only what the
//! servers under test send: unfragmented binary and text frames, ping, pong and close, with no
//! extensions. Client frames are masked as RFC 6455 requires.

use std::io;
use std::net::SocketAddr;
use std::ops::Range;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpSocket;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

pub const OP_TEXT: u8 = 0x1;
pub const OP_BINARY: u8 = 0x2;
pub const OP_CLOSE: u8 = 0x8;
pub const OP_PING: u8 = 0x9;
pub const OP_PONG: u8 = 0xA;

/// Largest frame accepted; a server sending more is treated as broken.
const MAX_FRAME: usize = 64 * 1024 * 1024;
/// Largest HTTP response head accepted during the handshake.
const MAX_HEAD: usize = 16 * 1024;

/// Where to connect and from which loopback source address.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub server: SocketAddr,
    /// Bound before connecting, so that many connections can spread over several source
    /// addresses (each has its own ephemeral port range).
    pub source: Option<std::net::IpAddr>,
    /// Request path, starting with `/`.
    pub path: String,
}

/// A decoded frame header: its opcode and where its payload sits in the reader's buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub opcode: u8,
    pub payload: Range<usize>,
}

/// The reading half: one buffer, consumed frame by frame.
pub struct Reader {
    half: OwnedReadHalf,
    buf: Vec<u8>,
    /// Start of the unconsumed bytes.
    start: usize,
    /// End of the bytes read so far.
    end: usize,
}

/// The writing half, with a reusable buffer for framing.
pub struct Writer {
    half: OwnedWriteHalf,
    buf: Vec<u8>,
    mask: [u8; 4],
}

/// Connects, performs the opening handshake and returns the two halves.
///
/// `read_capacity` is the initial read buffer; it grows for larger frames (a full-document
/// sync step 2) and never shrinks, so pass something small for thousands of readers.
pub async fn connect(endpoint: &Endpoint, read_capacity: usize) -> io::Result<(Reader, Writer)> {
    // A load generator must never point at someone else's machine.
    if !endpoint.server.ip().is_loopback() || endpoint.source.is_some_and(|ip| !ip.is_loopback()) {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "the bench connects over loopback only, not to {}",
                endpoint.server
            ),
        ));
    }
    let socket = match endpoint.server {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    if let Some(ip) = endpoint.source {
        socket.bind(SocketAddr::new(ip, 0))?;
    }
    let stream = socket.connect(endpoint.server).await?;
    // Keystrokes are tiny frames; Nagle's algorithm would hold them back for an ACK.
    stream.set_nodelay(true)?;
    let (half, mut write) = stream.into_split();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        path = endpoint.path,
        host = endpoint.server,
    );
    write.write_all(request.as_bytes()).await?;
    let mut reader = Reader {
        half,
        buf: vec![0; read_capacity.max(512)],
        start: 0,
        end: 0,
    };
    reader.read_handshake_response().await?;
    let writer = Writer {
        half: write,
        buf: Vec::with_capacity(256),
        mask: rand::random(),
    };
    Ok((reader, writer))
}

impl Reader {
    async fn read_handshake_response(&mut self) -> io::Result<()> {
        loop {
            if let Some(pos) = find(&self.buf[..self.end], b"\r\n\r\n") {
                let head = &self.buf[..pos];
                let status_line = head.split(|&b| b == b'\r').next().unwrap_or_default();
                if !status_line.starts_with(b"HTTP/1.1 101") {
                    return Err(io::Error::new(
                        io::ErrorKind::ConnectionRefused,
                        format!(
                            "handshake refused: {}",
                            String::from_utf8_lossy(status_line)
                        ),
                    ));
                }
                // Whatever followed the head already belongs to the first frames.
                self.start = pos + 4;
                return Ok(());
            }
            if self.end >= MAX_HEAD {
                return Err(invalid("handshake response head too large"));
            }
            if self.end == self.buf.len() {
                self.buf.resize(self.buf.len() * 2, 0);
            }
            let n = self.half.read(&mut self.buf[self.end..]).await?;
            if n == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            self.end += n;
        }
    }

    /// The next complete frame, or `None` when the server closed the TCP stream.
    ///
    /// Cancel-safe: bytes are accounted for as soon as a read returns, so dropping this future
    /// inside `select!` loses nothing.
    pub async fn next(&mut self) -> io::Result<Option<Frame>> {
        loop {
            match parse_header(&self.buf[self.start..self.end])? {
                Parsed::Frame {
                    opcode,
                    header,
                    len,
                } => {
                    let begin = self.start + header;
                    self.start = begin + len;
                    return Ok(Some(Frame {
                        opcode,
                        payload: begin..begin + len,
                    }));
                }
                Parsed::Need(total) => self.make_room(total),
            }
            let n = self.half.read(&mut self.buf[self.end..]).await?;
            if n == 0 {
                return Ok(None);
            }
            self.end += n;
        }
    }

    pub fn payload(&self, frame: &Frame) -> &[u8] {
        &self.buf[frame.payload.clone()]
    }

    /// Ensures the buffer can hold `total` bytes from `start` and has room to read into.
    fn make_room(&mut self, total: usize) {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
        let pending = self.end - self.start;
        if self.start > 0 && (self.start + total > self.buf.len() || self.end == self.buf.len()) {
            self.buf.copy_within(self.start..self.end, 0);
            self.start = 0;
            self.end = pending;
        }
        if total > self.buf.len() {
            self.buf.resize(total.next_power_of_two(), 0);
        }
    }
}

impl Writer {
    pub async fn send(&mut self, opcode: u8, payload: &[u8]) -> io::Result<()> {
        self.buf.clear();
        encode_frame(&mut self.buf, opcode, payload, self.mask);
        self.half.write_all(&self.buf).await
    }

    pub async fn send_binary(&mut self, payload: &[u8]) -> io::Result<()> {
        self.send(OP_BINARY, payload).await
    }

    /// A close frame with status 1000; the caller then drops the socket.
    pub async fn close(&mut self) -> io::Result<()> {
        self.send(OP_CLOSE, &1000u16.to_be_bytes()).await
    }
}

enum Parsed {
    Frame {
        opcode: u8,
        header: usize,
        len: usize,
    },
    /// Not complete: this many bytes (header and payload) are needed in all.
    Need(usize),
}

fn parse_header(buf: &[u8]) -> io::Result<Parsed> {
    if buf.len() < 2 {
        return Ok(Parsed::Need(2));
    }
    let (b0, b1) = (buf[0], buf[1]);
    if b0 & 0x80 == 0 || b0 & 0x0f == 0 {
        return Err(invalid(
            "fragmented frames are not expected from these servers",
        ));
    }
    if b0 & 0x70 != 0 {
        return Err(invalid("reserved bits set: no extension was negotiated"));
    }
    if b1 & 0x80 != 0 {
        return Err(invalid("server frames must not be masked"));
    }
    let (header, len) = match b1 & 0x7f {
        126 => {
            if buf.len() < 4 {
                return Ok(Parsed::Need(4));
            }
            (4, usize::from(u16::from_be_bytes([buf[2], buf[3]])))
        }
        127 => {
            if buf.len() < 10 {
                return Ok(Parsed::Need(10));
            }
            let mut b = [0; 8];
            b.copy_from_slice(&buf[2..10]);
            let len = usize::try_from(u64::from_be_bytes(b)).unwrap_or(usize::MAX);
            (10, len)
        }
        n => (2, usize::from(n)),
    };
    if len > MAX_FRAME {
        return Err(invalid("frame larger than the bench accepts"));
    }
    if buf.len() < header + len {
        return Ok(Parsed::Need(header + len));
    }
    Ok(Parsed::Frame {
        opcode: b0 & 0x0f,
        header,
        len,
    })
}

/// Appends one masked, final frame.
fn encode_frame(out: &mut Vec<u8>, opcode: u8, payload: &[u8], mask: [u8; 4]) {
    out.push(0x80 | opcode);
    let len = payload.len();
    if len < 126 {
        out.push(0x80 | len as u8);
    } else if let Ok(len) = u16::try_from(len) {
        out.push(0x80 | 126);
        out.extend_from_slice(&len.to_be_bytes());
    } else {
        out.push(0x80 | 127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    out.extend_from_slice(&mask);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i & 3]));
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn invalid(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unmask(frame: &[u8]) -> (u8, Vec<u8>) {
        let (header, len) = match frame[1] & 0x7f {
            126 => (4, usize::from(u16::from_be_bytes([frame[2], frame[3]]))),
            127 => (
                10,
                u64::from_be_bytes(frame[2..10].try_into().unwrap()) as usize,
            ),
            n => (2, usize::from(n)),
        };
        let mask = &frame[header..header + 4];
        let body = &frame[header + 4..];
        assert_eq!(body.len(), len);
        let data = body.iter().enumerate().map(|(i, b)| b ^ mask[i & 3]);
        (frame[0] & 0x0f, data.collect())
    }

    #[test]
    fn encodes_masked_frames_of_every_length_class() {
        for len in [0, 5, 125, 126, 300, 65535, 65536, 70000] {
            let payload: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let mut out = Vec::new();
            encode_frame(&mut out, OP_BINARY, &payload, [1, 2, 3, 4]);
            assert_eq!(out[0], 0x82);
            assert_ne!(out[1] & 0x80, 0, "client frames are masked");
            assert_eq!(unmask(&out), (OP_BINARY, payload));
        }
    }

    fn server_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![0x80 | opcode];
        match payload.len() {
            n if n < 126 => out.push(n as u8),
            n if n <= 0xffff => {
                out.push(126);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                out.push(127);
                out.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        out.extend_from_slice(payload);
        out
    }

    #[test]
    fn parses_headers_and_asks_for_more() {
        let frame = server_frame(OP_BINARY, &[0, 2, 1, 9]);
        for cut in 0..frame.len() {
            assert!(matches!(parse_header(&frame[..cut]), Ok(Parsed::Need(_))));
        }
        assert!(matches!(
            parse_header(&frame),
            Ok(Parsed::Frame {
                opcode: OP_BINARY,
                header: 2,
                len: 4
            })
        ));
        let big = server_frame(OP_BINARY, &vec![7; 70000]);
        assert!(matches!(parse_header(&big[..9]), Ok(Parsed::Need(10))));
        assert!(matches!(parse_header(&big[..10]), Ok(Parsed::Need(70010))));
        assert!(matches!(
            parse_header(&big),
            Ok(Parsed::Frame {
                header: 10,
                len: 70000,
                ..
            })
        ));
    }

    #[tokio::test]
    async fn refuses_anything_but_loopback() {
        let endpoint = Endpoint {
            server: "192.0.2.1:80".parse().unwrap(),
            source: None,
            path: "/".into(),
        };
        let err = connect(&endpoint, 512).await.err().unwrap();
        assert_eq!(err.kind(), io::ErrorKind::PermissionDenied);
    }

    #[test]
    fn rejects_what_servers_must_not_send() {
        assert!(parse_header(&[0x02, 0x00]).is_err(), "fragment");
        assert!(parse_header(&[0xC2, 0x00]).is_err(), "compressed");
        assert!(parse_header(&[0x82, 0x80, 0, 0, 0, 0]).is_err(), "masked");
    }

    /// A byte-at-a-time server exercises buffer compaction and growth.
    #[tokio::test]
    async fn reads_frames_split_across_reads() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut head = Vec::new();
            while !head.ends_with(b"\r\n\r\n") {
                head.push(sock.read_u8().await.unwrap());
            }
            let mut out =
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n".to_vec();
            out.extend(server_frame(OP_BINARY, b"first"));
            out.extend(server_frame(OP_PING, b""));
            out.extend(server_frame(OP_BINARY, &vec![3; 5000]));
            for b in out {
                sock.write_all(&[b]).await.unwrap();
            }
            let mut got = vec![0; 2 + 4 + 3];
            sock.read_exact(&mut got).await.unwrap();
            got
        });
        let endpoint = Endpoint {
            server: addr,
            source: None,
            path: "/x".into(),
        };
        let (mut reader, mut writer) = connect(&endpoint, 16).await.unwrap();
        let f = reader.next().await.unwrap().unwrap();
        assert_eq!((f.opcode, reader.payload(&f)), (OP_BINARY, &b"first"[..]));
        let f = reader.next().await.unwrap().unwrap();
        assert_eq!(f.opcode, OP_PING);
        let f = reader.next().await.unwrap().unwrap();
        assert_eq!(reader.payload(&f), &vec![3; 5000][..]);
        writer.send_binary(b"abc").await.unwrap();
        assert_eq!(unmask(&server.await.unwrap()), (OP_BINARY, b"abc".to_vec()));
        assert!(reader.next().await.unwrap().is_none());
    }
}
