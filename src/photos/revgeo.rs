//! The reverse-geocoded place of an asset: `ZADDITIONALASSETATTRIBUTES.ZREVERSELOCATIONDATA`, an
//! NSKeyedArchiver binary plist of a `PLRevGeoLocationInfo` whose `postalAddress` is a
//! `CNPostalAddress` (`_street`, `_city`, `_state`, `_postalCode`, `_country`,
//! `_ISOCountryCode`), with the country code also at the root (`countryCode`).
//!
//! Why no general unarchiver: the place is six strings at fixed paths (root → postalAddress →
//! field), so the reader follows exactly those references and nothing else. Every step goes
//! through `follow`, which takes at most `MAX_HOPS` UID hops; nothing recurses, so a hostile
//! archive (UID cycles, a sub-object shared a million times, nesting thousands deep) costs a
//! bounded number of object reads, and any damage is an error the caller turns into
//! `place: null` and a note. Objects are read with the project's bounds-checked `bplist` reader.

use serde::Serialize;

use crate::bplist::{Bplist, Object, Refs};

/// Where a photo was taken, as the library's reverse geocoding recorded it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Place {
    pub street: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    pub country_code: Option<String>,
}

impl Place {
    /// The parts present, in address order (for matching and display).
    pub fn parts(&self) -> impl Iterator<Item = &str> {
        [
            &self.street,
            &self.city,
            &self.state,
            &self.postal_code,
            &self.country,
            &self.country_code,
        ]
        .into_iter()
        .filter_map(|s| s.as_deref())
    }

    fn is_empty(&self) -> bool {
        self.parts().next().is_none()
    }
}

/// UID hops allowed from one reference to a non-UID object. Real archives use one.
const MAX_HOPS: usize = 8;

struct Archive<'a> {
    p: Bplist<'a>,
    objects: Refs<'a>,
}

impl<'a> Archive<'a> {
    /// Resolves `index` through UIDs into `$objects`, at most `MAX_HOPS` of them.
    fn follow(&self, mut index: usize) -> Result<(usize, Object<'a>), String> {
        for _ in 0..MAX_HOPS {
            match self.p.object(index).map_err(|e| e.to_string())? {
                Object::Uid(u) => {
                    index = usize::try_from(u)
                        .ok()
                        .and_then(|u| self.objects.get(u))
                        .ok_or("a UID points past $objects")?;
                }
                o => return Ok((index, o)),
            }
        }
        Err("UID chain too long (a cycle?)".into())
    }

    /// The dictionary `index` resolves to.
    fn dict(&self, index: usize, what: &str) -> Result<(Refs<'a>, Refs<'a>), String> {
        match self.follow(index)?.1 {
            Object::Dict { keys, values } => Ok((keys, values)),
            _ => Err(format!("{what} is not a dictionary")),
        }
    }

    /// A string value of a dictionary; `$null`, absent or a non-string is `None`. An
    /// `NSString` archived as `{NS.string: …}` is unwrapped once.
    fn string(&self, d: (Refs<'a>, Refs<'a>), key: &str) -> Result<Option<String>, String> {
        let Some(v) = self.p.dict_get(d.0, d.1, key).map_err(|e| e.to_string())? else {
            return Ok(None);
        };
        let (mut i, mut o) = self.follow(v)?;
        if let Object::Dict { keys, values } = o {
            match self
                .p
                .dict_get(keys, values, "NS.string")
                .map_err(|e| e.to_string())?
            {
                Some(s) => (i, o) = self.follow(s)?,
                None => return Ok(None),
            }
        }
        Ok(match o {
            Object::Ascii(b"$null") => None,
            Object::Ascii(_) | Object::Utf16(_) => self
                .p
                .string(i)
                .map_err(|e| e.to_string())?
                .filter(|s| !s.is_empty()),
            _ => None,
        })
    }
}

/// Decodes a `ZREVERSELOCATIONDATA` archive. `Ok(None)`: a valid archive without an address.
pub fn decode(bytes: &[u8]) -> Result<Option<Place>, String> {
    let p = Bplist::parse(bytes).map_err(|e| e.to_string())?;
    let Object::Dict { keys, values } = p.object(p.top()).map_err(|e| e.to_string())? else {
        return Err("top level is not a dictionary".into());
    };
    let get = |k: &str| p.dict_get(keys, values, k).map_err(|e| e.to_string());
    let objects = match get("$objects")?.map(|i| p.object(i)) {
        Some(Ok(Object::Array(a))) => a,
        _ => return Err("no $objects array (not an NSKeyedArchiver archive)".into()),
    };
    let a = Archive { p, objects };
    let root = match get("$top")? {
        Some(t) => {
            let top = a.dict(t, "$top")?;
            p.dict_get(top.0, top.1, "root")
                .map_err(|e| e.to_string())?
                .ok_or("no $top.root")?
        }
        None => objects.get(1).ok_or("no root object")?,
    };
    let root = a.dict(root, "the root object")?;
    let mut place = Place {
        country_code: a.string(root, "countryCode")?,
        ..Place::default()
    };
    if let Some(pa) = p
        .dict_get(root.0, root.1, "postalAddress")
        .map_err(|e| e.to_string())?
    {
        // `$null` (object 0, a string) means "no address".
        if let (_, Object::Dict { keys, values }) = a.follow(pa)? {
            let d = (keys, values);
            place.street = a.string(d, "_street")?;
            place.city = a.string(d, "_city")?;
            place.state = a.string(d, "_state")?;
            place.postal_code = a.string(d, "_postalCode")?;
            place.country = a.string(d, "_country")?;
            // The address's own ISO code first; the root's is the geocoder's.
            if let Some(c) = a.string(d, "_ISOCountryCode")? {
                place.country_code = Some(c);
            }
        }
    }
    Ok((!place.is_empty()).then_some(place))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn damaged_archives_are_errors_not_panics() {
        assert!(decode(b"").is_err());
        assert!(decode(b"bplist00").is_err());
        assert!(decode(&[0u8; 64]).is_err());
    }
}
