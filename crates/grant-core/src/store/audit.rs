use diesel::prelude::*;

use super::DbConn;
use super::rows::AuditRow;
use super::schema::audit_log;
use crate::Result;
use crate::model::AuditEvent;

/// Appends audit rows; call inside the transaction of the change they record.
pub fn insert_audit(conn: &mut DbConn, events: &[AuditEvent]) -> Result<()> {
    let rows: Vec<AuditRow> = events.iter().map(AuditRow::from).collect();
    for chunk in rows.chunks(500) {
        super::dialect::insert_rows!(conn, audit_log::table, chunk)?;
    }
    Ok(())
}

pub fn list_audit(conn: &mut DbConn, tenant: Option<&str>) -> Result<Vec<AuditEvent>> {
    let mut q = audit_log::table.into_boxed();
    if let Some(t) = tenant {
        q = q.filter(audit_log::tenant_id.eq(t));
    }
    let rows = q
        .order((audit_log::at, audit_log::id))
        .select(AuditRow::as_select())
        .load(conn)?;
    rows.into_iter().map(AuditEvent::try_from).collect()
}

/// Every audit row, oldest first, one at a time.
pub fn for_each_audit(
    conn: &mut DbConn,
    mut f: impl FnMut(AuditEvent) -> Result<()>,
) -> Result<()> {
    super::dialect::for_each_row!(
        conn,
        AuditRow,
        audit_log::table
            .order((audit_log::at, audit_log::id))
            .select(AuditRow::as_select()),
        |r: AuditRow| f(AuditEvent::try_from(r)?)
    )
}
