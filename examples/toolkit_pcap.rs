//! Writes the toolkit exchange of a short menu walk as a pcap (GSMTAP SIM) for Wireshark: the
//! balance, then a top-up whose over-the-air exchange (OPEN CHANNEL, SEND DATA, RECEIVE DATA,
//! CLOSE CHANNEL) the handset carries to the issuer.
//! `cargo run --example toolkit_pcap -- out.pcap`

use std::rc::Rc;
use stk_wallet::card::Card;
use stk_wallet::handset::{Handset, tokens};
use stk_wallet::host::IssuerHost;
use stk_wallet::network::IssuerNetwork;
use stk_wallet::pcap::Pcap;
use stk_wallet::pos::Clock;
use stk_wallet::profile::Profile;
use stk_wallet::transport::sim::{SimCard, shared};

fn main() {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "toolkit.pcap".into());
    let profile = Profile::default_profile();
    let card = shared(Card::personalise(&profile));
    let net = Rc::new(IssuerNetwork::new(
        IssuerHost::from_profile(&profile),
        Clock::System,
    ));
    let mut h = Handset::new(SimCard::contact(card)).with_network(net);
    h.power_on().expect("TERMINAL PROFILE");
    for t in tokens("1,2,o,1,5,b,b,1,50,123456,o,e") {
        h.press_token(&t).expect("key");
    }
    let mut p = Pcap::new();
    for e in &h.log {
        p.add_apdu(&e.command, &e.response);
    }
    p.write(std::path::Path::new(&out)).expect("write");
    println!("{} frames written to {out}", p.frames());
}
