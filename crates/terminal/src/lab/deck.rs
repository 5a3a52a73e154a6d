//! The test card deck: cards personalised to the states a reader must handle, from profiles
//! plus the states a profile cannot give (a closed wallet, a locked payment password).

use super::scenario::DeckCard;
use crate::card::Card;
use crate::profile::Profile;
use std::path::Path;

/// A deck card ready to serve, with its name for the logs.
pub struct Dealt {
    pub name: String,
    pub card: Card,
}

/// Personalises one deck card.
pub fn deal(c: &DeckCard) -> Result<Dealt, String> {
    let p = Profile::load(&c.profile).map_err(|e| format!("deck card `{}`: {e}", c.profile))?;
    let mut card = Card::personalise(&p);
    let state = &mut card.eeprom.state;
    if let Some(open) = c.wallet_open {
        state.purse.open = open;
    }
    if let Some(n) = c.payment_tries_left {
        if n > state.payment_password.max_tries {
            return Err(format!(
                "deck card `{}`: payment_tries_left {n} is above the password's {} tries",
                c.profile, state.payment_password.max_tries
            ));
        }
        state.payment_password.tries_left = n;
    }
    let name = c.name.clone().unwrap_or_else(|| {
        Path::new(&c.profile)
            .file_stem()
            .map_or_else(|| c.profile.clone(), |s| s.to_string_lossy().into_owned())
    });
    Ok(Dealt { name, card })
}

/// Personalises a whole deck, refusing it at the first bad card.
pub fn deal_all(deck: &[DeckCard]) -> Result<Vec<Dealt>, String> {
    deck.iter().map(deal).collect()
}
