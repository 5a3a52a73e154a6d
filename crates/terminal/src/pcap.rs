//! Classic pcap files of APDU exchanges, as GSMTAP "SIM" frames (type 4) in Ethernet / IPv4 /
//! UDP to port 4729, the form Osmocom SIMtrace uses and Wireshark's `gsm_sim` dissector reads
//! (it hands toolkit payloads to `etsi_cat`).
//!
//! One frame per exchange: the command APDU followed by the response (data ‖ SW1 SW2), after
//! a 16-byte GSMTAP version-2 header. Written by hand: the format is a few fixed headers.

/// GSMTAP's UDP port (IANA).
pub const GSMTAP_PORT: u16 = 4729;
/// GSMTAP payload type: SIM APDU.
pub const GSMTAP_TYPE_SIM: u8 = 4;
/// pcap link type: Ethernet.
pub const LINKTYPE_ETHERNET: u32 = 1;

/// A pcap file being built in memory.
#[derive(Clone, Debug)]
pub struct Pcap {
    bytes: Vec<u8>,
    frames: u32,
}

impl Default for Pcap {
    fn default() -> Self {
        Self::new()
    }
}

fn ipv4_checksum(h: &[u8]) -> u16 {
    let mut sum: u32 = h
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xFFFF {
        sum = (sum & 0xFFFF) + (sum >> 16);
    }
    !(sum as u16)
}

impl Pcap {
    /// An empty capture (global header only, microsecond timestamps, Ethernet).
    pub fn new() -> Pcap {
        let mut b = Vec::with_capacity(4096);
        b.extend_from_slice(&0xA1B2_C3D4u32.to_le_bytes());
        b.extend_from_slice(&2u16.to_le_bytes());
        b.extend_from_slice(&4u16.to_le_bytes());
        b.extend_from_slice(&0i32.to_le_bytes()); // thiszone
        b.extend_from_slice(&0u32.to_le_bytes()); // sigfigs
        b.extend_from_slice(&65_535u32.to_le_bytes()); // snaplen
        b.extend_from_slice(&LINKTYPE_ETHERNET.to_le_bytes());
        Pcap {
            bytes: b,
            frames: 0,
        }
    }

    /// Adds one APDU exchange (command, then response with its status word).
    pub fn add_apdu(&mut self, command: &[u8], response: &[u8]) {
        let mut gsmtap = vec![
            2, // version
            4, // header length in 32-bit words
            GSMTAP_TYPE_SIM,
            0, // timeslot
            0,
            0, // ARFCN
            0, // signal dBm
            0, // SNR
            0,
            0,
            0,
            0, // frame number
            0, // sub-type
            0, // antenna
            0, // sub-slot
            0, // reserved
        ];
        gsmtap.extend_from_slice(command);
        gsmtap.extend_from_slice(response);
        self.add_udp(&gsmtap);
    }

    fn add_udp(&mut self, payload: &[u8]) {
        let udp_len = 8 + payload.len();
        let ip_len = 20 + udp_len;
        let mut f = Vec::with_capacity(14 + ip_len);
        f.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x02]); // destination MAC (local)
        f.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x01]); // source MAC (local)
        f.extend_from_slice(&[0x08, 0x00]); // IPv4
        let mut ip = vec![0x45, 0];
        ip.extend_from_slice(&(ip_len as u16).to_be_bytes());
        ip.extend_from_slice(&(self.frames as u16).to_be_bytes()); // identification
        ip.extend_from_slice(&[0x40, 0, 64, 17, 0, 0]); // DF, TTL 64, UDP, checksum 0
        ip.extend_from_slice(&[127, 0, 0, 1, 127, 0, 0, 1]);
        let ck = ipv4_checksum(&ip);
        ip[10..12].copy_from_slice(&ck.to_be_bytes());
        f.extend_from_slice(&ip);
        f.extend_from_slice(&40_000u16.to_be_bytes());
        f.extend_from_slice(&GSMTAP_PORT.to_be_bytes());
        f.extend_from_slice(&(udp_len as u16).to_be_bytes());
        f.extend_from_slice(&[0, 0]); // no UDP checksum
        f.extend_from_slice(payload);
        // Record header: one frame per millisecond from the epoch, for a stable file.
        let ts_usec = self.frames * 1000;
        self.bytes
            .extend_from_slice(&(ts_usec / 1_000_000).to_le_bytes());
        self.bytes
            .extend_from_slice(&(ts_usec % 1_000_000).to_le_bytes());
        self.bytes
            .extend_from_slice(&(f.len() as u32).to_le_bytes());
        self.bytes
            .extend_from_slice(&(f.len() as u32).to_le_bytes());
        self.bytes.extend_from_slice(&f);
        self.frames += 1;
    }

    pub fn frames(&self) -> u32 {
        self.frames
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn write(&self, path: &std::path::Path) -> std::io::Result<()> {
        std::fs::write(path, &self.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers() {
        let mut p = Pcap::new();
        assert_eq!(p.bytes().len(), 24);
        p.add_apdu(&[0x80, 0x12, 0, 0, 0x02], &[0xAB, 0xCD, 0x90, 0x00]);
        let b = p.bytes();
        let frame = &b[24 + 16..];
        assert_eq!(frame.len(), 14 + 20 + 8 + 16 + 9);
        assert_eq!(&b[24 + 8..24 + 12], &(frame.len() as u32).to_le_bytes());
        let ip = &frame[14..34];
        assert_eq!(ipv4_checksum(ip), 0, "a valid IPv4 header sums to zero");
        assert_eq!(&frame[36..38], &[0x12, 0x79]);
        assert_eq!(&frame[42..45], &[2, 4, 4]);
        assert_eq!(&frame[58..], &[0x80, 0x12, 0, 0, 2, 0xAB, 0xCD, 0x90, 0]);
    }
}
