//! How answers name members: by userid and name, or on a card with their picture and title.
use serde::Serialize;
use utoipa::ToSchema;

use qixie_org::member::Card;

/// A member named in an answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Person {
    pub userid: String,
    pub name: String,
}

impl From<&Card> for Person {
    fn from(c: &Card) -> Person {
        Person {
            userid: c.userid.clone(),
            name: c.name.clone(),
        }
    }
}

/// A member as a list shows them: with their picture and title.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PersonCard {
    pub userid: String,
    pub name: String,
    pub avatar: String,
    pub position: String,
}

impl From<&Card> for PersonCard {
    fn from(c: &Card) -> PersonCard {
        PersonCard {
            userid: c.userid.clone(),
            name: c.name.clone(),
            avatar: c.avatar.clone(),
            position: c.position.clone(),
        }
    }
}
