//! One error vocabulary: each kind has a stable code, an HTTP status, a WeCom errcode and a message
//! in both languages, all in the one table below. Internal causes go to the log, never to a client.
use axum::http::StatusCode;
use serde::Serialize;

use super::i18n::Lang;

macro_rules! error_kinds {
    ($($variant:ident => ($code:literal, $status:literal, $wecom:literal, $zh:literal, $en:literal),)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorKind { $($variant,)* }

        impl ErrorKind {
            pub const ALL: &'static [ErrorKind] = &[$(ErrorKind::$variant,)*];
            pub fn code(self) -> &'static str { match self { $(ErrorKind::$variant => $code,)* } }
            pub fn status(self) -> StatusCode {
                match self { $(ErrorKind::$variant => StatusCode::from_u16($status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),)* }
            }
            pub fn wecom_errcode(self) -> i64 { match self { $(ErrorKind::$variant => $wecom,)* } }
            pub fn message(self, lang: Lang) -> &'static str {
                match (self, lang) {
                    $((ErrorKind::$variant, Lang::Zh) => $zh, (ErrorKind::$variant, Lang::En) => $en,)*
                }
            }
        }
    };
}

error_kinds! {
    Internal => ("internal", 500, -1, "系统繁忙，请稍后再试", "Something went wrong on our side; please try again"),
    BadRequest => ("bad_request", 400, 40058, "请求格式不正确", "The request is malformed"),
    JsonRequired => ("json_required", 415, 40058, "请求内容须为 JSON（Content-Type: application/json）", "The request body must be JSON (Content-Type: application/json)"),
    Validation => ("validation_failed", 422, 40058, "填写的内容有误，请检查标出的字段", "Some fields are invalid; please check them"),
    Unauthenticated => ("unauthenticated", 401, 60011, "请先登录", "Please sign in"),
    Forbidden => ("forbidden", 403, 60011, "没有权限执行此操作", "You do not have permission to do this"),
    OutOfScope => ("out_of_scope", 403, 60011, "该对象不在你的管理范围内", "This is outside the scope you manage"),
    TargetOutranks => ("target_outranks_you", 403, 60011, "不能管理权限与你相同或比你更高的管理员", "You cannot manage an administrator whose rights equal or exceed yours"),
    AdminProtected => ("admin_protected", 403, 60011, "应用接口不能修改或删除管理员", "Apps cannot change or delete administrators"),
    CsrfFailed => ("csrf_failed", 403, 60011, "页面已过期，请刷新后重试", "The page has expired; please reload and try again"),
    CrossSite => ("cross_site_request", 403, 60011, "请求来自其他网站，已拒绝；请直接在本系统的页面中操作", "The request came from another site and was refused; please use this system's own pages"),
    NotFound => ("not_found", 404, 40058, "对象不存在", "Not found"),
    NoSuchRoute => ("no_such_route", 404, 40058, "接口不存在", "No such API route"),
    SetupDone => ("setup_already_done", 409, 40058, "企业已创建，请直接登录", "The enterprise is already set up; please sign in"),
    BadCredentials => ("bad_credentials", 401, 40001, "账号或密码错误", "Wrong account or password"),
    Throttled => ("throttled", 429, 45009, "尝试过于频繁，请稍后再试", "Too many attempts; please wait and try again"),
    AccountLocked => ("account_locked", 423, 60011, "登录失败次数过多，账号已临时锁定，请稍后再试或联系管理员解锁", "Too many failed sign-ins: the account is locked for now; try later or ask an administrator to unlock it"),
    AccountFrozen => ("account_frozen", 403, 60011, "账号已被冻结，请联系管理员", "This account is frozen; please contact your administrator"),
    PasswordChangeRequired => ("password_change_required", 403, 60011, "请先修改初始密码", "Please change your initial password first"),
    WeakPassword => ("weak_password", 422, 40058, "密码不符合安全策略：至少 8 位，包含字母和数字，不能包含账号", "The password does not meet the policy: at least 8 characters, letters and digits, not containing the account"),
    PasswordReused => ("password_reused", 422, 40058, "不能使用最近 5 次用过的密码", "You cannot reuse any of your last 5 passwords"),
    WrongOldPassword => ("wrong_old_password", 422, 40058, "原密码不正确", "The current password is wrong"),
    DepartmentNotFound => ("department_not_found", 404, 60003, "部门不存在", "Department not found"),
    DepartmentNotEmpty => ("department_not_empty", 409, 60005, "部门下还有成员或子部门，不能删除", "The department still has members or sub-departments"),
    DepartmentHasChildren => ("department_has_children", 409, 60006, "部门下还有子部门，不能删除", "The department still has sub-departments"),
    DepartmentMoveCycle => ("department_move_cycle", 409, 60123, "不能把部门移动到它自己或它的下级部门中", "A department cannot be moved into itself or one of its sub-departments"),
    DepartmentExists => ("department_exists", 409, 60008, "同一上级部门下已有同名部门", "A department with this name already exists under the same parent"),
    RootDepartment => ("root_department", 409, 60123, "根部门不能删除或移动", "The root department cannot be deleted or moved"),
    MemberNotFound => ("member_not_found", 404, 60111, "成员不存在", "Member not found"),
    UseridExists => ("userid_exists", 409, 60102, "账号已存在", "This account (userid) is already taken"),
    MobileExists => ("mobile_exists", 409, 60104, "手机号已被其他成员使用", "This mobile number is used by another member"),
    EmailExists => ("email_exists", 409, 60106, "邮箱已被其他成员使用", "This email is used by another member"),
    CannotDeleteCreator => ("cannot_delete_creator", 409, 301005, "不能删除企业创建者", "The enterprise creator cannot be deleted"),
    LastSuperAdmin => ("last_super_admin", 409, 60011, "企业至少需要保留一名超级管理员", "The enterprise must keep at least one super administrator"),
    SuccessorInvalid => ("successor_invalid", 422, 40003, "交接人必须是本企业的在职成员，且不能是离职者本人", "The successor must be an active member other than the departing one"),
    TagNotFound => ("tag_not_found", 404, 40068, "标签不存在", "Tag not found"),
    TagExists => ("tag_exists", 409, 40071, "标签名已存在", "A tag with this name already exists"),
    AllListInvalid => ("all_list_invalid", 422, 40070, "列表中的成员和部门全部无效", "Every user and department in the list is invalid"),
    AppNotFound => ("app_not_found", 404, 40056, "应用不存在", "App not found"),
    ImportFileInvalid => ("import_file_invalid", 422, 40058, "无法读取导入文件，请使用 CSV（UTF-8 或 GBK）或 XLSX 模板", "The import file cannot be read; use the CSV (UTF-8 or GBK) or XLSX template"),
    ImportRejected => ("import_rejected", 422, 40058, "导入文件中有错误行，按\"全部正确才导入\"未做任何修改", "The file has invalid rows; with \"all or nothing\" nothing was changed"),
    PayloadTooLarge => ("payload_too_large", 413, 40058, "文件过大", "The file is too large"),
    UploadTooLarge => ("upload_too_large", 413, 40058, "文件超出解析上限", "The file is over a parsing limit"),
    MediaNotFound => ("media_not_found", 404, 40007, "媒体文件不存在或已过期", "Media not found or expired"),
    JobNotFound => ("job_not_found", 404, 40058, "任务不存在", "Job not found"),
    InvalidCorp => ("invalid_corpid", 401, 40013, "企业ID不正确", "Invalid corp id"),
    InvalidSecret => ("invalid_secret", 401, 40001, "secret 不正确", "Invalid secret"),
    InvalidToken => ("invalid_access_token", 401, 40014, "access_token 无效", "Invalid access_token"),
    TokenExpired => ("access_token_expired", 401, 42001, "access_token 已过期", "access_token expired"),
    MissingToken => ("missing_access_token", 401, 41001, "缺少 access_token 参数", "access_token is missing"),
    ApiForbidden => ("api_forbidden", 403, 48002, "应用没有调用此接口的权限", "The app is not allowed to call this API"),
    ConversationNotFound => ("conversation_not_found", 404, 86001, "会话不存在", "Conversation not found"),
    NotConversationMember => ("not_conversation_member", 403, 86001, "你不在这个会话中", "You are not a member of this conversation"),
    ConversationClosed => ("conversation_closed", 409, 86001, "群聊已归档或解散，不能再修改", "The group is archived or dissolved and can no longer change"),
    GroupAdminOnly => ("group_admin_only", 403, 60011, "只有群主和群管理员可以这样做", "Only the group owner and administrators can do this"),
    GroupOwnerOnly => ("group_owner_only", 403, 60011, "只有群主可以这样做", "Only the group owner can do this"),
    MutedAll => ("muted_all", 403, 60011, "群主已开启全员禁言", "Everyone is muted in this group"),
    AtAllForbidden => ("at_all_forbidden", 403, 60011, "只有群主和群管理员可以 @所有人", "Only the owner and administrators may mention everyone"),
    NamingPolicy => ("naming_policy", 422, 40058, "群名称不符合企业的命名规范", "The group name does not follow the enterprise naming policy"),
    MemberLimit => ("member_limit", 409, 40058, "群成员已达上限", "The group has reached its member limit"),
    OwnerMustTransfer => ("owner_must_transfer", 409, 40058, "群主需先转让群主身份才能退出", "The owner must transfer ownership before leaving"),
    NotInGroupKind => ("not_a_group", 409, 40058, "只有群聊可以这样做", "Only group chats can do this"),
    EmptyMessage => ("empty_message", 422, 44004, "消息内容不能为空", "The message is empty"),
    MessageTooLong => ("message_too_long", 422, 40058, "消息内容过长", "The message is too long"),
    MessageNotFound => ("message_not_found", 404, 40058, "消息不存在", "Message not found"),
    RecallExpired => ("recall_expired", 409, 40058, "发送超过 24 小时的消息不能撤回", "Messages older than 24 hours cannot be recalled"),
    RecallForbidden => ("recall_forbidden", 403, 60011, "只能撤回自己的消息", "You can only recall your own messages"),
    ForwardForbidden => ("forward_forbidden", 403, 60011, "该群禁止将消息转发到群外", "This group does not allow forwarding its messages elsewhere"),
    ReceiptsOff => ("receipts_off", 403, 60011, "企业关闭了此类会话的已读回执", "Read receipts are turned off for this kind of conversation"),
    FileTooLarge => ("file_too_large", 413, 40058, "文件超过企业允许的大小", "The file is larger than the enterprise allows"),
    FileTypeRefused => ("file_type_refused", 422, 40058, "企业不允许发送此类型的文件", "The enterprise does not allow this type of file"),
    RobotKeyInvalid => ("robot_key_invalid", 404, 93000, "机器人 webhook 地址无效", "Invalid webhook url"),
    RobotRateLimited => ("robot_rate_limited", 429, 45009, "机器人发送太频繁（每分钟最多 20 条）", "The robot sends too often (at most 20 messages a minute)"),
    QuickReplyNotFound => ("quick_reply_not_found", 404, 40058, "快捷回复不存在", "Quick reply not found"),
    QuickReplyExists => ("quick_reply_exists", 409, 40058, "已有内容相同的快捷回复", "A quick reply with the same text already exists"),
    QuickReplyLimit => ("quick_reply_limit", 409, 40058, "快捷回复数量已达上限", "The number of quick replies has reached its limit"),
    QuickReplyReadOnly => ("quick_reply_read_only", 403, 60011, "企业快捷回复由管理员维护，不能在这里修改", "Enterprise quick replies are kept by administrators and cannot be changed here"),
    UrgentNobody => ("urgent_nobody", 409, 40058, "接收人都已读这条消息，无需加急", "Every recipient has read this message; there is nobody to notify"),
    UrgentPending => ("urgent_pending", 429, 45009, "正在加急提醒这些接收人，请等对方阅读或提醒结束后再试", "These recipients are already being notified; wait until they read it or the reminders end"),
    AllRecipientsInvalid => ("all_recipients_invalid", 422, 81013, "接收人全部无效", "All recipients are invalid"),
    SendRateLimited => ("send_rate_limited", 429, 45009, "发送太频繁，请稍后再发", "You are sending messages too fast; please wait a moment"),
    TooManyConnections => ("too_many_connections", 429, 45009, "打开的实时连接过多，请关闭一些窗口或设备后再试", "Too many real-time connections are open; close some windows or devices and try again"),
    TemplateNotFound => ("template_not_found", 404, 301025, "审批模板不存在", "Approval template not found"),
    TemplateNameExists => ("template_name_exists", 409, 301025, "已有同名的审批模板", "An approval template with this name already exists"),
    TemplateNotAllowed => ("template_not_allowed", 403, 301055, "你不在该审批模板的可提交范围内", "You may not submit this approval template"),
    FlowHasProblems => ("flow_has_problems", 422, 301025, "审批流程有错误，修正后才能发布", "The approval flow has errors; fix them before publishing"),
    NobodyToApprove => ("nobody_to_approve", 422, 301025, "审批流程中有节点找不到审批人，无法提交，请联系管理员", "A step of the flow has nobody to approve it, so it cannot be submitted; please ask an administrator"),
    ApprovalNotFound => ("approval_not_found", 404, 301025, "审批单不存在", "Approval not found"),
    ApprovalAlreadyDecided => ("approval_already_decided", 409, 301025, "这一步已有人处理，无需重复操作", "This step has already been decided"),
    ApprovalNotYours => ("approval_not_yours", 403, 301055, "你不是当前审批人，不能这样操作", "You are not a current approver of this application"),
    ApprovalClosed => ("approval_closed", 409, 301025, "审批单已结束或不在这个状态，不能这样操作", "This approval is finished or not in a state that allows this"),
    ApprovalUrgedRecently => ("approval_urged_recently", 429, 301025, "一小时内已催办过这一步，请稍后再试", "You urged this step less than an hour ago"),
    ApprovalApiForbidden => ("approval_api_forbidden", 403, 301055, "应用没有审批权限，或提交人不在应用的可见范围内", "The app may not use approvals, or the applicant is outside its visible range"),
    TemplateApiForbidden => ("template_api_forbidden", 403, 301088, "应用没有管理此审批模板的权限", "The app may not manage this approval template"),
    AttendanceRuleNotFound => ("attendance_rule_not_found", 404, 301075, "考勤规则不存在", "Attendance rule not found"),
    AttendanceRuleNameExists => ("attendance_rule_name_exists", 409, 301075, "已有同名的考勤规则", "An attendance rule with this name already exists"),
    NoAttendanceRule => ("no_attendance_rule", 422, 301021, "你不在任何考勤规则中，无需打卡；如有疑问请联系管理员", "You follow no attendance rule, so there is nothing to clock in for; ask an administrator if this is wrong"),
    CheckinUserInvalid => ("checkin_user_invalid", 422, 301021, "成员不存在，或不在应用的可见范围内", "No such member, or the member is outside the app's visible range"),
    CheckinUserListInvalid => ("checkin_user_list_invalid", 422, 301023, "成员列表不能为空，且不能超过 100 人", "The member list must name 1 to 100 members"),
    CheckinSpanInvalid => ("checkin_span_invalid", 422, 301024, "时间范围不正确：开始和结束须为正数，结束不早于开始，且不超过允许的天数", "Invalid time span: both ends positive, the end not before the start, and within the allowed number of days"),
    CheckinInvalid => ("checkin_invalid", 422, 301075, "打卡接口参数不正确", "Invalid checkin parameters"),
    OutsideArea => ("outside_area", 422, 301075, "不在打卡范围内", "You are outside every clock-in area"),
    LocationInaccurate => ("location_inaccurate", 422, 301075, "定位精度不足，请到开阔处重试，或使用外勤打卡", "The location is not precise enough; try again in the open, or clock in as field work"),
    FieldNoteRequired => ("field_note_required", 422, 301075, "外勤打卡请填写备注", "Field clock-in needs a note"),
    PhotoRequired => ("photo_required", 422, 301075, "此规则打卡需要拍照", "This rule requires a photo with each clock-in"),
    ClockSkew => ("clock_skew", 422, 301024, "设备时间与服务器相差过大，请校准手机时间后重试", "Your device's clock is too far from the server's; correct it and try again"),
    ClockInTooEarly => ("clock_in_too_early", 422, 301075, "还没到可以打卡的时间", "It is too early to clock in"),
    AttendanceApiForbidden => ("attendance_api_forbidden", 403, 60011, "应用没有考勤权限，或成员不在应用的可见范围内", "The app may not use attendance, or the member is outside its visible range"),
    VacationApiForbidden => ("vacation_api_forbidden", 403, 301062, "应用没有假勤权限", "The app may not use leave (假勤)"),
    VacationInvalid => ("vacation_invalid", 422, 301063, "假期参数不正确", "Invalid leave parameters"),
    VacationFailed => ("vacation_failed", 500, 301064, "假期服务内部错误，请稍后再试", "The leave service failed; please try again"),
    VacationOutOfRange => ("vacation_out_of_range", 403, 301098, "成员不在应用的可见范围内", "The member is outside the app's visible range"),
}

macro_rules! field_reasons {
    ($($variant:ident => ($code:literal, $zh:literal, $en:literal),)*) => {
        /// Why a field was refused: a closed list, each with a stable code and words in both
        /// languages. `Error` names an error kind's code for the field it concerns (`on_field`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum FieldReason { $($variant,)* Error(ErrorKind) }

        impl FieldReason {
            pub const ALL: &'static [FieldReason] = &[$(FieldReason::$variant,)*];
            pub fn code(self) -> &'static str {
                match self { $(FieldReason::$variant => $code,)* FieldReason::Error(k) => k.code() }
            }
            pub fn message(self, lang: Lang) -> &'static str {
                match (self, lang) {
                    $((FieldReason::$variant, Lang::Zh) => $zh, (FieldReason::$variant, Lang::En) => $en,)*
                    (FieldReason::Error(k), lang) => k.message(lang),
                }
            }
            /// The reason with this code, among the listed reasons and the error kinds.
            pub fn from_code(code: &str) -> Option<FieldReason> {
                match code {
                    $($code => Some(FieldReason::$variant),)*
                    _ => ErrorKind::ALL.iter().find(|k| k.code() == code).map(|k| FieldReason::Error(*k)),
                }
            }
        }
    };
}

field_reasons! {
    Required => ("required", "此项为必填项", "This field is required"),
    Empty => ("empty", "内容为空", "Is empty"),
    Format => ("format", "格式不正确", "Invalid format"),
    Invalid => ("invalid", "输入无效", "Invalid value"),
    Unknown => ("unknown", "不支持的值", "Unsupported value"),
    UnknownField => ("unknown_field", "不认识的字段，请检查拼写", "Unknown field; check its spelling"),
    Unsupported => ("unsupported", "不支持此类型", "This type is not supported"),
    TooLong => ("too_long", "内容过长", "Too long"),
    TooMany => ("too_many", "数量过多", "Too many"),
    TooFew => ("too_few", "数量不足", "Too few"),
    Count => ("count", "数量不在允许范围内", "The number of items is out of the allowed range"),
    Size => ("size", "大小不在允许范围内", "The size is out of the allowed range"),
    Range => ("range", "超出允许范围", "Out of the allowed range"),
    OutOfRange => ("out_of_range", "超出允许范围", "Out of the allowed range"),
    BeforeStart => ("before_start", "结束时间须晚于开始时间", "Must be after the start"),
    InThePast => ("in_the_past", "不能早于现在", "Cannot be in the past"),
    Taken => ("taken", "已被占用", "Already taken"),
    Duplicate => ("duplicate", "与已有数据重复", "Duplicates existing data"),
    DuplicateInFile => ("duplicate_in_file", "与文件中前面的行重复", "Repeats an earlier row of the file"),
    Exists => ("exists", "已存在", "Already exists"),
    NotFound => ("not_found", "不存在", "Does not exist"),
    Inactive => ("inactive", "该成员未激活或已停用", "The member is not active"),
    Mismatch => ("mismatch", "两次输入不一致", "Entries do not match"),
    Wrong => ("wrong", "不正确", "Incorrect"),
    SelfRef => ("self", "不能选择本人", "Cannot be the person themselves"),
    OutOfScope => ("out_of_scope", "不在你的管理范围内", "Outside the scope you manage"),
    OutranksYou => ("outranks_you", "该管理员的权限与你相同或更高，不能修改", "An administrator with rights equal to or wider than yours; you cannot change them"),
    NotInDepartments => ("not_in_departments", "主部门必须是所在部门之一", "The main department must be one of the departments"),
    Name => ("name", "文件名无效", "Invalid file name"),
    NotAnImage => ("not_an_image", "不是图片", "Not an image"),
    NotQuotable => ("not_quotable", "这条消息不能引用", "This message cannot be quoted"),
    BelowMemberCount => ("below_member_count", "不能少于当前成员数", "Cannot be lower than the current number of members"),
    Overlap => ("overlap", "与其他时间段重叠", "Overlaps another time section"),
    OutsideChina => ("outside_china", "坐标不在中国境内，请确认坐标系", "The coordinate is outside China; check its coordinate system"),
    InsufficientBalance => ("insufficient_balance", "假期余额不足", "Not enough leave balance"),
    InUse => ("in_use", "已有数据在使用，不能修改", "Already in use; it cannot be changed"),
}

impl serde::Serialize for FieldReason {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl std::fmt::Display for FieldReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

impl PartialEq<&str> for FieldReason {
    fn eq(&self, other: &&str) -> bool {
        self.code() == *other
    }
}

impl FieldReason {
    pub fn as_str(&self) -> &'static str {
        self.code()
    }
}

/// Reasons still written as their code. A code outside the table is a programming error: it fails
/// in debug builds and reads `invalid` in release ones.
impl From<ErrorKind> for FieldReason {
    fn from(kind: ErrorKind) -> FieldReason {
        FieldReason::Error(kind)
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub reason: FieldReason,
}

/// An error on its way to a client: a kind from the table, optional field errors and, for the log
/// only, the cause.
#[derive(Debug)]
pub struct AppError {
    pub kind: ErrorKind,
    pub fields: Vec<FieldError>,
    pub cause: Option<anyhow::Error>,
    /// What the user needs to put it right, beyond the kind's message (a policy's pattern and example).
    pub hint: Option<Hint>,
}

/// Extra words for the user, in both languages, and the same facts as data for clients.
#[derive(Debug, Clone, PartialEq)]
pub struct Hint {
    pub zh: String,
    pub en: String,
    pub data: serde_json::Value,
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn new(kind: ErrorKind) -> AppError {
        AppError {
            kind,
            fields: Vec::new(),
            cause: None,
            hint: None,
        }
    }
    pub fn field(field: &str, reason: impl Into<FieldReason>) -> AppError {
        AppError {
            kind: ErrorKind::Validation,
            fields: vec![FieldError {
                field: field.into(),
                reason: reason.into(),
            }],
            cause: None,
            hint: None,
        }
    }
    pub fn fields(fields: Vec<FieldError>) -> AppError {
        AppError {
            kind: ErrorKind::Validation,
            fields,
            cause: None,
            hint: None,
        }
    }
    pub fn internal(cause: impl Into<anyhow::Error>) -> AppError {
        AppError {
            kind: ErrorKind::Internal,
            fields: Vec::new(),
            cause: Some(cause.into()),
            hint: None,
        }
    }
}

impl From<ErrorKind> for AppError {
    fn from(kind: ErrorKind) -> Self {
        AppError::new(kind)
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        AppError::internal(e)
    }
}

impl From<anyhow::Error> for AppError {
    fn from(e: anyhow::Error) -> Self {
        AppError::internal(e)
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.kind.code())?;
        if let Some(c) = &self.cause {
            write!(f, ": {c:#}")?;
        }
        Ok(())
    }
}

/// Collects field errors while validating input, then fails once with all of them.
#[derive(Default)]
pub struct Validator {
    errors: Vec<FieldError>,
}

impl Validator {
    pub fn check(&mut self, ok: bool, field: &str, reason: impl Into<FieldReason>) -> &mut Self {
        if !ok {
            self.errors.push(FieldError {
                field: field.into(),
                reason: reason.into(),
            });
        }
        self
    }
    pub fn push(&mut self, field: &str, reason: impl Into<FieldReason>) {
        self.errors.push(FieldError {
            field: field.into(),
            reason: reason.into(),
        });
    }
    pub fn errors(&self) -> &[FieldError] {
        &self.errors
    }
    pub fn finish(self) -> AppResult<()> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::fields(self.errors))
        }
    }
}

impl AppError {
    /// Keeps the kind but names the field a validation error belongs to.
    pub fn on_field(mut self, field: &str) -> AppError {
        if self.fields.is_empty() {
            self.fields.push(FieldError {
                field: field.into(),
                reason: FieldReason::Error(self.kind),
            });
        }
        self
    }
    pub fn with_hint(mut self, hint: Hint) -> AppError {
        self.hint = Some(hint);
        self
    }
    pub fn with_kind(mut self, kind: ErrorKind) -> AppError {
        self.kind = kind;
        self
    }
}
