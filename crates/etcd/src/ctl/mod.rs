//! The etcdctl v3 command language: parsing command lines and printing results as etcdctl does.
