//! Short sequences stored in place: the installation map's keys, texts and SMAU values are a few
//! dozen bytes, and keeping them inside the map's slot instead of behind a pointer spares a cache
//! miss and an allocation for every ping. Longer ones go to the heap.

use std::borrow::Borrow;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

/// Up to `N` items in place, more on the heap. Hashes and compares as the slice it holds, so a
/// map keyed by it is looked up by a plain slice.
#[derive(Debug, Clone)]
pub enum Compact<T: Copy + Default, const N: usize> {
    Inline { len: u8, items: [T; N] },
    Heap(Box<[T]>),
}

impl<T: Copy + Default, const N: usize> Compact<T, N> {
    const FITS: () = assert!(N <= u8::MAX as usize);

    pub fn new(items: &[T]) -> Self {
        let () = Self::FITS;
        if items.len() <= N {
            let mut inline = [T::default(); N];
            inline[..items.len()].copy_from_slice(items);
            Self::Inline {
                len: items.len() as u8,
                items: inline,
            }
        } else {
            Self::Heap(items.into())
        }
    }

    /// `len` default items.
    pub fn with_len(len: usize) -> Self {
        if len <= N {
            Self::Inline {
                len: len as u8,
                items: [T::default(); N],
            }
        } else {
            Self::Heap(vec![T::default(); len].into())
        }
    }

    /// Replaces the items, in place when they fit where the old ones were.
    pub fn set(&mut self, new: &[T]) {
        match self {
            Self::Inline { len, items } if new.len() <= N => {
                items[..new.len()].copy_from_slice(new);
                *len = new.len() as u8;
            }
            Self::Heap(items) if items.len() == new.len() => items.copy_from_slice(new),
            _ => *self = Self::new(new),
        }
    }

    /// The items' slots, to overwrite without building a slice first.
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        match self {
            Self::Inline { len, items } => &mut items[..usize::from(*len)],
            Self::Heap(items) => items,
        }
    }
}

impl<T: Copy + Default, const N: usize> Deref for Compact<T, N> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        match self {
            Self::Inline { len, items } => &items[..usize::from(*len)],
            Self::Heap(items) => items,
        }
    }
}

impl<T: Copy + Default, const N: usize> Borrow<[T]> for Compact<T, N> {
    fn borrow(&self) -> &[T] {
        self
    }
}

impl<T: Copy + Default + Hash, const N: usize> Hash for Compact<T, N> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (**self).hash(state);
    }
}

impl<T: Copy + Default + PartialEq, const N: usize> PartialEq for Compact<T, N> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<T: Copy + Default + Eq, const N: usize> Eq for Compact<T, N> {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn short_items_stay_in_place_and_long_ones_move_to_the_heap() {
        let mut c = Compact::<u8, 4>::new(b"abc");
        assert!(matches!(c, Compact::Inline { len: 3, .. }));
        c.set(b"abcdef");
        assert!(matches!(c, Compact::Heap(_)));
        assert_eq!(&*c, b"abcdef");
        c.set(b"ghijkl");
        assert_eq!(&*c, b"ghijkl");
        c.set(b"x");
        assert_eq!(&*c, b"x");
        c.as_mut_slice()[0] = b'y';
        assert_eq!(&*c, b"y");
        assert_eq!(&*Compact::<u64, 2>::with_len(2), [0, 0]);
        assert_eq!(&*Compact::<u64, 2>::with_len(3), [0, 0, 0]);
    }

    #[test]
    fn a_map_keyed_by_it_is_looked_up_by_slice() {
        let mut map = HashMap::new();
        map.insert(Compact::<u8, 8>::new(b"short"), 1);
        map.insert(Compact::<u8, 8>::new(b"much longer than eight"), 2);
        assert_eq!(map.get(&b"short"[..]), Some(&1));
        assert_eq!(map.get(&b"much longer than eight"[..]), Some(&2));
        assert_eq!(map.get(&b"other"[..]), None);
    }
}
