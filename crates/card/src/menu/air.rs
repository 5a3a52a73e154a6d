//! The over-the-air exchange, a step of Top Up or Pay Phone Bill.

use super::*;

impl Air {
    pub(crate) fn op(&self) -> &Ota {
        match self {
            Air::Opening { op, .. }
            | Air::Sending { op, .. }
            | Air::Receiving { op, .. }
            | Air::Closing { op, .. } => op,
        }
    }

    pub(crate) fn render(&self) -> Proactive {
        match self {
            Air::Opening { .. } => Proactive::OpenChannel {
                bearer: vec![0x03],
                buffer_size: OTA_BUFFER,
                transport: Some((0x02, OTA_PORT)),
                destination: Some([&[0x21][..], &OTA_GATEWAY].concat()),
            },
            Air::Sending {
                channel, request, ..
            } => Proactive::SendData {
                channel: *channel,
                data: request.clone(),
                immediate: true,
            },
            Air::Receiving { channel, .. } => Proactive::ReceiveData {
                channel: *channel,
                length: OTA_ANSWER_LEN as u8,
            },
            Air::Closing { channel, .. } => Proactive::CloseChannel { channel: *channel },
        }
    }

    /// The screen of this step: a step of the flow its operation belongs to.
    pub(crate) fn screen(self) -> Screen {
        Screen::Flow(match self.op() {
            Ota::TopUp { .. } => TopUp::Air(self).into(),
            Ota::Bill { .. } => Bill::Air(self).into(),
        })
    }
}

impl Session {
    /// The payment password verified: open the operation and ask for a channel.
    pub(crate) fn open_air(&mut self, op: Ota, w: &mut dyn Wallet) -> Result<Reply, Problem> {
        match w.ota_begin(&op) {
            Ok(request) => {
                self.current = Air::Opening { op, request }.screen();
                Ok(self.show(&w.view()))
            }
            Err(p) => self.problem(p, op.context(), w),
        }
    }

    /// The handset answered a step of the exchange.
    pub(crate) fn air(
        &mut self,
        step: Air,
        tr: &TerminalResponse,
        w: &mut dyn Wallet,
    ) -> Result<Reply, Problem> {
        let ok = tr.result.is_success();
        // Why a step failed, once the handset did not carry it out.
        let failed = |tr: &TerminalResponse| match tr.result {
            ResultCode::EndedByUser | ResultCode::NoResponse => AirEnd::Quit,
            ResultCode::Back => AirEnd::Back,
            _ => AirEnd::Failed(unreachable()),
        };
        let next = match step {
            Air::Opening { op, request } => {
                let channel = tr
                    .channel_status
                    .filter(|s| s[0] & 0x80 != 0 && s[0] & 0x07 != 0)
                    .map(|s| s[0] & 0x07);
                match channel {
                    Some(channel) if ok => Air::Sending {
                        op,
                        channel,
                        request,
                    },
                    // No channel: nothing to close.
                    _ => {
                        w.ota_abort();
                        let end = if ok {
                            AirEnd::Failed(unreachable())
                        } else {
                            failed(tr)
                        };
                        return self.air_end(&op, end, w);
                    }
                }
            }
            Air::Sending { op, channel, .. } if ok => Air::Receiving { op, channel },
            Air::Receiving { op, channel } if ok => {
                let then = match w.ota_finish(tr.channel_data.as_deref().unwrap_or_default()) {
                    Ok(balance) => AirEnd::Done(balance),
                    Err(Problem::Torn) => return Err(Problem::Torn),
                    Err(p) => AirEnd::Failed(p),
                };
                Air::Closing { op, channel, then }
            }
            Air::Sending { op, channel, .. } | Air::Receiving { op, channel } => {
                w.ota_abort();
                Air::Closing {
                    op,
                    channel,
                    then: failed(tr),
                }
            }
            // Whatever the handset says about closing, the exchange is over.
            Air::Closing { op, then, .. } => return self.air_end(&op, then, w),
        };
        self.current = next.screen();
        Ok(self.show(&w.view()))
    }

    /// The exchange is over (its channel, if any, closed).
    pub(crate) fn air_end(
        &mut self,
        op: &Ota,
        end: AirEnd,
        w: &mut dyn Wallet,
    ) -> Result<Reply, Problem> {
        let v = w.view();
        match end {
            AirEnd::Done(balance) => {
                let l = self.lang;
                let t = match op {
                    Ota::TopUp { fen } => format!(
                        "{} {}, {} {}",
                        l.s(Msg::TopUpDone),
                        amount_text(l, *fen),
                        l.s(Msg::BalanceIs),
                        amount_text(l, balance)
                    ),
                    Ota::Bill { phone, fen } => format!(
                        "{} {} {}, {} {}",
                        l.s(Msg::BillDone),
                        phone,
                        amount_text(l, *fen),
                        l.s(Msg::BalanceIs),
                        amount_text(l, balance)
                    ),
                };
                Ok(self.result(t, &v))
            }
            AirEnd::Failed(p) => self.problem(p, op.context(), w),
            AirEnd::Back => Ok(self.back(&v)),
            AirEnd::Quit => Ok(Reply::End),
        }
    }
}

/// `None` if `s` is `min..=max` digits; else the message to show.
pub(crate) fn check_digits(s: &str, min: usize, max: usize, wrong_length: Msg) -> Option<Msg> {
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        Some(Msg::DigitsOnly)
    } else if !(min..=max).contains(&s.len()) {
        Some(wrong_length)
    } else {
        None
    }
}
