//! WeCom's callback encryption (WXBizMsgCrypt), as a sender: the event XML is encrypted with
//! AES-256-CBC under the receiver's EncodingAESKey (key = base64 of the 43 characters plus "=", IV =
//! the key's first 16 bytes), over `random16 ‖ length (4 bytes, big-endian) ‖ message ‖ receive id`
//! padded PKCS#7-style to a multiple of 32; the signature is the SHA-1 of the sorted
//! token, timestamp, nonce and ciphertext. Decryption is here for tests and receivers.
use aes::Aes256;
use aes::cipher::block_padding::NoPadding;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use base64::Engine;
use base64::alphabet::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use sha1::{Digest, Sha1};

/// Standard base64 that, like WeCom's own libraries, ignores the unused low bits of the last
/// character of a 43-character EncodingAESKey.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

#[derive(Clone)]
pub struct MsgCrypt {
    token: String,
    key: [u8; 32],
    receive_id: String,
}

impl MsgCrypt {
    /// None when the EncodingAESKey is not 43 characters of base64 for 32 bytes.
    pub fn new(token: &str, encoding_aes_key: &str, receive_id: &str) -> Option<MsgCrypt> {
        if encoding_aes_key.len() != 43 {
            return None;
        }
        let bytes = LENIENT.decode(format!("{encoding_aes_key}=")).ok()?;
        let key: [u8; 32] = bytes.try_into().ok()?;
        Some(MsgCrypt {
            token: token.to_owned(),
            key,
            receive_id: receive_id.to_owned(),
        })
    }

    pub fn signature(&self, timestamp: &str, nonce: &str, encrypted: &str) -> String {
        let mut parts = [self.token.as_str(), timestamp, nonce, encrypted];
        parts.sort_unstable();
        hex::encode(Sha1::digest(parts.concat().as_bytes()))
    }

    /// The base64 ciphertext of `msg`, with the given 16 random bytes in front.
    pub fn encrypt(&self, msg: &str, random: &[u8; 16]) -> String {
        let mut plain = Vec::with_capacity(msg.len() + self.receive_id.len() + 52);
        plain.extend_from_slice(random);
        plain.extend_from_slice(&(msg.len() as u32).to_be_bytes());
        plain.extend_from_slice(msg.as_bytes());
        plain.extend_from_slice(self.receive_id.as_bytes());
        let pad = 32 - plain.len() % 32;
        plain.extend(std::iter::repeat_n(pad as u8, pad));
        // The padding to 32 is WeCom's own, so the cipher adds none.
        let sealed = cbc::Encryptor::<Aes256>::new(&self.key.into(), &self.iv().into())
            .encrypt_padded_vec_mut::<NoPadding>(&plain);
        base64::engine::general_purpose::STANDARD.encode(sealed)
    }

    /// (message, receive id) from a base64 ciphertext; None when it does not decrypt.
    pub fn decrypt(&self, encrypted: &str) -> Option<(String, String)> {
        let data = base64::engine::general_purpose::STANDARD
            .decode(encrypted)
            .ok()?;
        if data.is_empty() || data.len() % 16 != 0 {
            return None;
        }
        let mut data = cbc::Decryptor::<Aes256>::new(&self.key.into(), &self.iv().into())
            .decrypt_padded_vec_mut::<NoPadding>(&data)
            .ok()?;
        let pad = usize::from(*data.last()?);
        if !(1..=32).contains(&pad) || pad > data.len() {
            return None;
        }
        data.truncate(data.len() - pad);
        let len = u32::from_be_bytes(data.get(16..20)?.try_into().ok()?) as usize;
        let msg = String::from_utf8(data.get(20..20 + len)?.to_vec()).ok()?;
        let id = String::from_utf8(data.get(20 + len..)?.to_vec()).ok()?;
        Some((msg, id))
    }

    fn iv(&self) -> [u8; 16] {
        let mut iv = [0u8; 16];
        iv.copy_from_slice(&self.key[..16]);
        iv
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // wechatpy's deterministic encryption vector (tests/test_crypto.py).
    const KEY: &str = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR";
    const CORP: &str = "wx49f0ab532d5d035a";
    const PLAIN: &str = "<xml>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[test]]></Content>\n<FromUserName><![CDATA[wx49f0ab532d5d035a]]></FromUserName>\n<ToUserName><![CDATA[messense]]></ToUserName>\n<AgentID>1</AgentID>\n<CreateTime>1411525903</CreateTime>\n</xml>";
    const ENCRYPTED: &str = "9s4gMv99m88kKTh/H8IdkOiMg6bisoy3ypwy9H4hvSPe9nsGaqyw5hhSjdYbcrKk+j3nba4HMOTzHrluLBYqxgNcBqGsL8GqxlhZgURnAtObvesEl5nZ+uBE8bviY0LWke8Zy9V/QYKxNV2FqllNXcfmstttyIkMKCCmVbCFM2JTF5wY0nFhHZSjPUL2Q1qvSUCUld+/WIXrx0oyKQmpB6o8NRrrNrsDf03oxI1p9FxUgMnwKKZeOA/uu+2IEvEBtb7muXsVbwbgX05UPPJvFurDXafG0RQyPR+mf1nDnAtQmmNOuiR5MIkdQ39xn1vWwi1O5oazPoQJz0nTYjxxEE8kv3kFxtAGVRe3ypD3WeK2XeFYFMNMpatF9XiKzHo3";

    #[test]
    fn encrypts_and_signs_like_wechatpy() {
        let c = MsgCrypt::new("123456", KEY, CORP).unwrap();
        let enc = c.encrypt(PLAIN, b"1234567890123456");
        assert_eq!(enc, ENCRYPTED);
        assert_eq!(
            c.signature("1411525903", "461056294", &enc),
            "407518b7649e86ef23978113f92d27afa9296533"
        );
        assert_eq!(c.decrypt(&enc), Some((PLAIN.to_owned(), CORP.to_owned())));
    }

    #[test]
    fn decrypts_the_official_sample() {
        let c = MsgCrypt::new(
            "QDG6eK",
            "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
            "wx5823bf96d3bd56c7",
        )
        .unwrap();
        let echo = "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==";
        assert_eq!(
            c.signature("1409659589", "263014780", echo),
            "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3"
        );
        assert_eq!(
            c.decrypt(echo).map(|(m, _)| m),
            Some("1616140317555161061".to_owned())
        );
    }

    /// Fuzz target for the callback envelope: whatever is encrypted decrypts to itself, and any
    /// text offered as a ciphertext (cut, altered or random) is refused or read, never a panic.
    #[test]
    fn fuzz_callback_envelope() {
        let c = MsgCrypt::new("token", KEY, CORP).unwrap();
        bolero::check!(name = "wecom_envelope")
            .with_type::<(String, [u8; 16], Vec<u8>)>()
            .with_test_time(std::time::Duration::from_secs(2))
            .for_each(|(msg, random, garbage): &(String, [u8; 16], Vec<u8>)| {
                let enc = c.encrypt(msg, random);
                assert_eq!(c.decrypt(&enc), Some((msg.clone(), CORP.to_owned())));
                let _ = c.decrypt(&enc[..enc.len() / 2]);
                let _ = c.decrypt(&String::from_utf8_lossy(garbage));
                let mut bytes = base64::engine::general_purpose::STANDARD
                    .decode(&enc)
                    .unwrap();
                let len = bytes.len();
                for (i, g) in garbage.iter().enumerate().take(8) {
                    let at = usize::from(*g) * 7 + i;
                    if let Some(b) = bytes.get_mut(at % len) {
                        *b ^= g | 1;
                    }
                }
                let _ = c.decrypt(&base64::engine::general_purpose::STANDARD.encode(&bytes));
            });
    }

    #[test]
    fn keys_must_be_43_characters() {
        assert!(MsgCrypt::new("t", "short", "corp").is_none());
        // Trailing bits of the last character are ignored, as WeCom's libraries do.
        assert!(MsgCrypt::new("t", &"k".repeat(43), "corp").is_some());
    }
}
