//! A list of items in file order, indexed by id: replacing, adding and
//! removing by id each take constant time, so merging a long chain of long
//! files stays linear in their size.

use std::collections::HashMap;

#[derive(Debug, Clone)]
pub struct Keyed<T> {
    slots: Vec<Option<T>>,
    index: HashMap<String, usize>,
}

impl<T> Default for Keyed<T> {
    fn default() -> Self {
        Keyed {
            slots: Vec::new(),
            index: HashMap::new(),
        }
    }
}

impl<T> Keyed<T> {
    pub fn get_mut(&mut self, id: &str) -> Option<&mut T> {
        self.index.get(id).and_then(|&i| self.slots[i].as_mut())
    }

    /// Adds an item under a new id (the caller checked it is new).
    pub fn push(&mut self, id: String, item: T) {
        self.index.insert(id, self.slots.len());
        self.slots.push(Some(item));
    }

    pub fn remove(&mut self, id: &str) -> Option<T> {
        let i = self.index.remove(id)?;
        self.slots[i].take()
    }

    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.index.keys().map(String::as_str)
    }

    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.slots.iter().flatten()
    }

    pub fn into_vec(self) -> Vec<T> {
        self.slots.into_iter().flatten().collect()
    }
}
