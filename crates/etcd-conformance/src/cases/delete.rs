//! Deletes: files, directories (dir, recursive), compare-and-delete (prevValue, prevIndex).

use crate::Case;

pub(super) fn cases() -> Vec<Case> {
    vec![
        Case::new("delete_files_and_dirs")
            .put("/v2/keys/del1/a", "value=1")
            .put("/v2/keys/del1/d/x", "value=2")
            .put("/v2/keys/del1/empty", "dir=true")
            .delete("/v2/keys/del1/a")
            .delete("/v2/keys/del1/a")
            .delete("/v2/keys/del1/d")
            .delete("/v2/keys/del1/d?dir=true")
            .delete("/v2/keys/del1/empty")
            .delete("/v2/keys/del1/empty?dir=true")
            .delete("/v2/keys/del1/d?recursive=true")
            .get("/v2/keys/del1")
            .delete("/v2/keys/del1?dir=maybe")
            .delete("/v2/keys/del1?recursive=maybe"),
        Case::new("compare_and_delete")
            .put("/v2/keys/del2/a", "value=1")
            .delete("/v2/keys/del2/a?prevValue=2")
            .delete("/v2/keys/del2/a?prevIndex={i+5}")
            .delete("/v2/keys/del2/a?prevIndex=abc")
            .delete("/v2/keys/del2/a?prevValue=")
            .delete("/v2/keys/del2/a?prevIndex={i+1}&prevValue=1")
            .put("/v2/keys/del2/b", "value=1")
            .delete("/v2/keys/del2/b?prevValue=1")
            .put("/v2/keys/del2/d", "dir=true")
            .delete("/v2/keys/del2/d?dir=true&prevValue=x")
            .delete("/v2/keys/del2/missing?prevValue=x"),
    ]
}
