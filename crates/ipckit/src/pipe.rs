//! Anonymous pipes (`pipe2`): a one-way byte stream between related processes.
