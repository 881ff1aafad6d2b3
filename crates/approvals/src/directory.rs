//! The organisation as flows and forms see it: `flow::Directory` and `form::FormContext` over the
//! org module's reads (`qixie_org::people`), chat's files and this module's instances.
use qixie_kernel::AppState;
use qixie_kernel::error::AppResult;
use qixie_kernel::ids::CorpId;
use qixie_kernel::time::Zone;
use qixie_org::people;

use crate::flow::Directory;
use crate::form::FormContext;

/// One enterprise's organisation, read on demand.
pub struct OrgDirectory<'a> {
    app: &'a AppState,
    corp: CorpId,
}

impl<'a> OrgDirectory<'a> {
    pub fn new(app: &'a AppState, corp: CorpId) -> Self {
        OrgDirectory { app, corp }
    }
}

impl Directory for OrgDirectory<'_> {
    async fn leaders(&self, member: i64, department: i64, levels: u8) -> AppResult<Vec<Vec<i64>>> {
        people::leader_levels(&self.app.db, self.corp, member, department, levels).await
    }
    async fn department_heads(&self, department: i64) -> AppResult<Vec<i64>> {
        Ok(people::heads_of(&self.app.db, self.corp, &[department])
            .await?
            .remove(&department)
            .unwrap_or_default())
    }
    async fn tag_members(&self, tag: i64) -> AppResult<Vec<i64>> {
        people::tag_holders(&self.app.db, self.corp, tag).await
    }
    async fn admins(&self, permission: Option<&str>) -> AppResult<Vec<i64>> {
        people::admins(&self.app.db, self.corp, permission).await
    }
    async fn members(&self, userids: &[String]) -> AppResult<Vec<Option<i64>>> {
        people::ids_of(&self.app.db, self.corp, userids).await
    }
    async fn department_paths(&self, ids: &[i64]) -> AppResult<Vec<Option<String>>> {
        people::department_paths(&self.app.db, self.corp, ids).await
    }
    async fn all_departments(&self) -> AppResult<Vec<(i64, String)>> {
        Ok(people::all_departments(&self.app.db, self.corp)
            .await?
            .into_iter()
            .map(|(id, path, _)| (id, path))
            .collect())
    }
    async fn tag_exists(&self, tag: i64) -> AppResult<bool> {
        people::tag_exists(&self.app.db, self.corp, tag).await
    }
}

/// What checking one applicant's values needs: the organisation, the files the applicant may
/// attach, the approvals they may relate to.
pub struct ApplicantContext<'a> {
    pub app: &'a AppState,
    pub corp: CorpId,
    pub member: i64,
    pub zone: Zone,
}

impl FormContext for ApplicantContext<'_> {
    async fn members(&self, userids: &[String]) -> AppResult<Vec<Option<i64>>> {
        people::ids_of(&self.app.db, self.corp, userids).await
    }
    async fn departments_exist(&self, ids: &[i64]) -> AppResult<Vec<bool>> {
        Ok(people::department_paths(&self.app.db, self.corp, ids)
            .await?
            .into_iter()
            .map(|p| p.is_some())
            .collect())
    }
    async fn file(&self, file_id: &str) -> AppResult<Option<(String, bool)>> {
        match qixie_chat::media::readable(self.app, self.corp, self.member, file_id).await {
            Ok(m) => Ok(Some((m.name, m.kind == "image"))),
            Err(e) if e.kind == qixie_kernel::error::ErrorKind::MediaNotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
    async fn approval(&self, sp_no: &str) -> AppResult<Option<String>> {
        crate::instance::visible_template(self.app, self.corp, self.member, sp_no).await
    }
    fn zone(&self) -> &Zone {
        &self.zone
    }
}
