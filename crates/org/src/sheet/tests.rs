#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::cells::clean_cell;
use super::read::OLE_MAGIC;
use super::xlsx::number_text;
use super::*;

use std::io::Cursor;

use calamine::{Reader, Xlsx};
use qixie_kernel::error::FieldReason;
use qixie_kernel::upload_limits::UploadLimits;
use rust_xlsxwriter::Workbook;

fn row(r: usize, cells: &[(Field, &str)]) -> SheetRow {
    SheetRow {
        row: r,
        cells: cells.iter().map(|(f, v)| (*f, (*v).to_string())).collect(),
    }
}

/// A row that passes every check, with `overrides` applied.
fn valid(r: usize, userid: &str, overrides: &[(Field, &str)]) -> SheetRow {
    let mut s = row(
        r,
        &[
            (Field::Name, "张三"),
            (Field::Userid, userid),
            (Field::Departments, "总公司"),
        ],
    );
    for (f, v) in overrides {
        s.cells.insert(*f, (*v).to_string());
    }
    s
}

fn errors_of(rows: Vec<SheetRow>) -> Vec<(usize, String, String)> {
    validate_rows(rows)
        .1
        .into_iter()
        .map(|e| (e.row, e.field, e.reason.code().to_owned()))
        .collect()
}

fn one_error(overrides: &[(Field, &str)]) -> Vec<(String, String)> {
    errors_of(vec![valid(2, "zhangsan", overrides)])
        .into_iter()
        .map(|(_, f, r)| (f, r))
        .collect()
}

fn err(field: &str, reason: &str) -> Vec<(String, String)> {
    vec![(field.to_string(), reason.to_string())]
}

fn parse(filename: &str, bytes: &[u8]) -> Result<Vec<SheetRow>, SheetError> {
    parse_import(filename, bytes, &UploadLimits::default())
}

fn record(overrides: &[(Field, &str)]) -> ImportRecord {
    let (records, errors) = validate_rows(vec![valid(2, "zhangsan", overrides)]);
    assert_eq!(errors, vec![]);
    records.into_iter().next().unwrap()
}

const CHINESE_CSV: &str = "姓名,帐号,手机,邮箱,部门,性别\r\n张三,zhangsan,13800138000,ZS@Example.com,总公司/研发部,男\r\n李四,lisi,,,\"总公司/产品部;总公司/研发部\",女\r\n";

#[test]
fn utf8_csv() {
    let rows = parse("members.csv", CHINESE_CSV.as_bytes()).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].row, 2);
    assert_eq!(rows[0].get(Field::Name), "张三");
    assert_eq!(rows[0].get(Field::Userid), "zhangsan");
    assert_eq!(rows[0].get(Field::Mobile), "13800138000");
    assert_eq!(rows[0].get(Field::Gender), "男");
    assert_eq!(rows[1].row, 3);
    assert_eq!(
        rows[1].get(Field::Departments),
        "总公司/产品部;总公司/研发部"
    );
    assert_eq!(rows[1].get(Field::Mobile), "");
    // No such column in the file.
    assert!(!rows[0].cells.contains_key(&Field::Tags));
}

#[test]
fn utf8_bom_csv() {
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(CHINESE_CSV.as_bytes());
    let rows = parse("members.csv", &bytes).unwrap();
    // The BOM must not stick to the first header.
    assert_eq!(rows[0].get(Field::Name), "张三");
    assert_eq!(rows.len(), 2);
}

#[test]
fn gbk_csv() {
    let (bytes, _, had_errors) = encoding_rs::GBK.encode(CHINESE_CSV);
    assert!(!had_errors);
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "the test file must really be GBK"
    );
    let rows = parse("导出.csv", &bytes).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].get(Field::Name), "张三");
    assert_eq!(rows[1].get(Field::Name), "李四");
    assert_eq!(rows[0].get(Field::Departments), "总公司/研发部");
}

#[test]
fn csv_lf_quotes_blank_lines_and_row_numbers() {
    let text = "\n姓名,帐号,部门,职务\n\n  王五 , wangwu ,总公司,\"经理, 华东\"\n,,,\n赵六,zhaoliu,总公司,\"两行\n职务\"\n钱七,qianqi,总公司,x\n";
    let rows = parse("m.csv", text.as_bytes()).unwrap();
    let summary: Vec<(usize, &str, &str)> = rows
        .iter()
        .map(|r| (r.row, r.get(Field::Name), r.get(Field::Position)))
        .collect();
    assert_eq!(
        summary,
        vec![
            (4, "王五", "经理, 华东"),
            (6, "赵六", "两行\n职务"),
            (7, "钱七", "x")
        ],
    );
    assert_eq!(rows[0].get(Field::Userid), "wangwu");

    let crlf = "姓名,帐号\r\n\r\n甲,a\r\n\"多\r\n行\",b\r\n\r\n乙,c";
    let rows = parse("m.csv", crlf.as_bytes()).unwrap();
    let summary: Vec<(usize, &str)> = rows.iter().map(|r| (r.row, r.get(Field::Userid))).collect();
    assert_eq!(summary, vec![(3, "a"), (4, "b"), (6, "c")]);
    assert_eq!(rows[1].get(Field::Name), "多\r\n行");
}

#[test]
fn xlsx_with_numeric_cells() {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    // A title row above the header, as some templates have.
    sheet.write_string(0, 0, "成员导入模板").unwrap();
    for (col, h) in (0u16..).zip(["姓名", "账号", "手机", "工号", "部门", "备注"]) {
        sheet.write_string(1, col, h).unwrap();
    }
    sheet.write_string(2, 0, " 张三 ").unwrap();
    sheet.write_string(2, 1, "zhangsan").unwrap();
    sheet.write_number(2, 2, 13800138000.0).unwrap();
    sheet.write_number(2, 3, 1001.0).unwrap();
    sheet.write_string(2, 4, "总公司/研发部").unwrap();
    // Row 4 is empty; row 5 has only a remark, nothing to import.
    sheet.write_string(4, 5, "备注而已").unwrap();
    sheet.write_string(5, 0, "李四").unwrap();
    sheet.write_string(5, 1, "lisi").unwrap();
    sheet.write_number(5, 3, 12.5).unwrap();
    let bytes = workbook.save_to_buffer().unwrap();

    // Detected by magic, whatever the name says.
    let rows = parse("upload", &bytes).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].row, 3);
    assert_eq!(rows[0].get(Field::Name), "张三");
    assert_eq!(rows[0].get(Field::Mobile), "13800138000");
    assert_eq!(rows[0].get(Field::EmployeeNo), "1001");
    assert_eq!(rows[1].row, 6);
    assert_eq!(rows[1].get(Field::EmployeeNo), "12.5");
    assert_eq!(rows[1].get(Field::Mobile), "");
    let (records, errors) = validate_rows(rows);
    assert_eq!(records[0].mobile.as_deref(), Some("13800138000"));
    assert_eq!(
        errors,
        vec![RowError {
            row: 6,
            field: "departments".into(),
            reason: FieldReason::Required
        }]
    );
}

#[test]
fn number_text_never_shows_fraction_or_exponent() {
    assert_eq!(number_text(13800138000.0), "13800138000");
    assert_eq!(number_text(8613800138000.0), "8613800138000");
    assert_eq!(number_text(-3.0), "-3");
    assert_eq!(number_text(0.25), "0.25");
    assert_eq!(number_text(1e20), "100000000000000000000");
}

#[test]
fn header_aliases() {
    let cases: &[(&str, Field)] = &[
        ("姓名", Field::Name),
        (" Name ", Field::Name),
        ("*姓名", Field::Name),
        ("帐号", Field::Userid),
        ("账号", Field::Userid),
        ("UserID", Field::Userid),
        ("userid", Field::Userid),
        ("成员ID", Field::Userid),
        ("Account", Field::Userid),
        ("工号", Field::EmployeeNo),
        ("员工编号", Field::EmployeeNo),
        ("employee_no", Field::EmployeeNo),
        ("Employee No", Field::EmployeeNo),
        ("手机", Field::Mobile),
        ("手机号", Field::Mobile),
        ("手机号码", Field::Mobile),
        ("手机（选填）", Field::Mobile),
        ("MOBILE", Field::Mobile),
        ("邮箱", Field::Email),
        ("电子邮箱", Field::Email),
        ("企业邮箱", Field::Email),
        ("Email", Field::Email),
        ("部门", Field::Departments),
        ("所在部门", Field::Departments),
        ("department", Field::Departments),
        ("Departments", Field::Departments),
        ("部门(多个用;分隔)", Field::Departments),
        ("职务", Field::Position),
        ("职位", Field::Position),
        ("position", Field::Position),
        ("性别", Field::Gender),
        ("gender", Field::Gender),
        ("直属上级", Field::Leader),
        ("上级", Field::Leader),
        ("leader", Field::Leader),
        ("标签", Field::Tags),
        ("tags", Field::Tags),
        ("别名", Field::Alias),
        ("alias", Field::Alias),
        ("座机", Field::Telephone),
        ("电话", Field::Telephone),
        ("telephone", Field::Telephone),
    ];
    for (header, field) in cases {
        assert_eq!(Field::from_header(header), Some(*field), "{header}");
    }
    for unknown in ["状态", "备注", "", "(姓名)", "nickname"] {
        assert_eq!(Field::from_header(unknown), None, "{unknown}");
    }

    // Mixed headers in one file; unknown columns are ignored and the first duplicate wins.
    let text = "Name,ACCOUNT,备注,Mobile,mobile,所在部门\nA,a1,x,13800138000,13900139000,D\n";
    let rows = parse("m.csv", text.as_bytes()).unwrap();
    assert_eq!(rows[0].cells.len(), 4);
    assert_eq!(rows[0].get(Field::Userid), "a1");
    assert_eq!(rows[0].get(Field::Mobile), "13800138000");
    assert_eq!(rows[0].get(Field::Departments), "D");
}

#[test]
fn missing_columns() {
    let missing = Err(SheetError::MissingColumns(vec![
        "name".into(),
        "userid".into(),
    ]));
    assert_eq!(
        parse("m.csv", "手机,部门\n13800138000,总公司\n".as_bytes()),
        missing
    );
    assert_eq!(parse("m.csv", b""), missing);
    assert_eq!(parse("m.csv", b"\r\n,,\r\n"), missing);
    // Either one is enough to read the file; validation then reports the other per row.
    let rows = parse("m.csv", "姓名,部门\n张三,总公司\n".as_bytes()).unwrap();
    assert_eq!(
        errors_of(rows),
        vec![(2, "userid".into(), "required".into())]
    );
    // A header-only file is fine and empty.
    assert_eq!(parse("m.csv", "帐号\n".as_bytes()), Ok(vec![]));
}

#[test]
fn unreadable_files() {
    let broken_zip = b"PK\x03\x04this is not really a workbook";
    assert!(matches!(
        parse("m.csv", broken_zip),
        Err(SheetError::Unreadable(_))
    ));
    assert!(matches!(
        parse("m.xlsx", "姓名\n张三\n".as_bytes()),
        Err(SheetError::Unreadable(_))
    ));
    let mut ole = OLE_MAGIC.to_vec();
    ole.extend_from_slice(&[0; 64]);
    assert!(matches!(
        parse("m.xls", &ole),
        Err(SheetError::Unreadable(_))
    ));
    assert!(matches!(
        parse("m.csv", b"name\x00\x01\x02"),
        Err(SheetError::Unreadable(_))
    ));
}

fn limits(rows: usize, columns: usize, bytes: u64) -> UploadLimits {
    UploadLimits {
        max_rows: rows,
        max_columns: columns,
        max_decompressed_bytes: bytes,
    }
}

#[test]
fn too_many_rows() {
    let limits = limits(50, 200, 1 << 20);
    let mut text = String::from("姓名,帐号\n");
    for i in 0..50 {
        text.push_str(&format!("n,u{i}\n"));
    }
    assert_eq!(
        parse_import("m.csv", text.as_bytes(), &limits).map(|r| r.len()),
        Ok(50)
    );
    text.push_str("n,last\n");
    assert_eq!(
        parse_import("m.csv", text.as_bytes(), &limits),
        Err(SheetError::TooLarge(Exceeded::Rows(50)))
    );
    // Streaming stops at the row over the limit, with the error as the last item.
    let items: Vec<_> = import_rows("m.csv", text.as_bytes(), &limits)
        .unwrap()
        .collect();
    assert_eq!(items.len(), 51);
    assert!(items[49].is_ok());
    assert_eq!(items[50], Err(SheetError::TooLarge(Exceeded::Rows(50))));
}

#[test]
fn too_many_columns() {
    let limits = limits(100, 5, 1 << 20);
    // Trailing empty cells are no columns.
    let ok = "姓名,帐号,,,,,,,,,\n张三,zs,,,,,,,,,,,,,,\n";
    assert_eq!(
        parse_import("m.csv", ok.as_bytes(), &limits).map(|r| r.len()),
        Ok(1)
    );
    let wide = "姓名,帐号\n张三,zs,,,,x\n";
    assert_eq!(
        parse_import("m.csv", wide.as_bytes(), &limits),
        Err(SheetError::TooLarge(Exceeded::Columns(5)))
    );
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.write_string(0, 0, "姓名").unwrap();
    sheet.write_string(1, 5, "far").unwrap();
    let bytes = workbook.save_to_buffer().unwrap();
    assert_eq!(
        parse_import("m.xlsx", &bytes, &limits),
        Err(SheetError::TooLarge(Exceeded::Columns(5)))
    );
    assert_eq!(
        read_table("m.xlsx", &bytes, &limits).map(|t| t.len()),
        Err(SheetError::TooLarge(Exceeded::Columns(5)))
    );
}

#[test]
fn decompressed_size_is_capped() {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.write_string(0, 0, "姓名").unwrap();
    for r in 1..2000 {
        sheet.write_string(r, 0, "张三张三张三张三").unwrap();
    }
    let bytes = workbook.save_to_buffer().unwrap();
    assert!(parse_import("m.xlsx", &bytes, &limits(10_000, 200, 1 << 20)).is_ok());
    assert_eq!(
        parse_import("m.xlsx", &bytes, &limits(10_000, 200, 20_000)),
        Err(SheetError::TooLarge(Exceeded::DecompressedBytes(20_000)))
    );
    // A CSV's decoded text counts too.
    assert_eq!(
        parse_import("m.csv", "姓名\n张三\n".as_bytes(), &limits(10, 10, 8)),
        Err(SheetError::TooLarge(Exceeded::DecompressedBytes(8)))
    );
}

/// Fuzz target: any bytes as a CSV upload. Never panics, and what comes back keeps to the
/// limits, in row order. Longer runs: see docs/security.md ("Upload parsers").
#[test]
fn fuzz_csv_reader() {
    let limits = limits(50, 20, 64 * 1024);
    bolero::check!(name = "sheet_csv")
        .with_test_time(std::time::Duration::from_secs(2))
        .for_each(|input: &[u8]| {
            if let Ok(rows) = parse_import("m.csv", input, &limits) {
                assert!(rows.len() <= 50);
                assert!(rows.windows(2).all(|w| w[0].row < w[1].row));
                let _ = validate_rows(rows);
            }
            if let Ok(table) = read_table("m.csv", input, &limits) {
                assert!(table.len() <= 51);
                assert!(table.iter().all(|(_, cells)| cells.len() <= 20));
            }
        });
}

/// Generated cells (row, column, text) and byte changes (offset, xor mask).
type CellsAndDamage = (Vec<(u8, u8, String)>, Vec<(u16, u8)>);

/// Fuzz target: workbooks built from generated cells, read back whole and then with some of
/// their bytes changed (zip structure, sizes, XML). Never panics; an intact workbook reads.
#[test]
fn fuzz_xlsx_reader() {
    let limits = limits(50, 20, 1 << 20);
    bolero::check!(name = "sheet_xlsx")
        .with_type::<CellsAndDamage>()
        .with_test_time(std::time::Duration::from_secs(3))
        .for_each(|(cells, damage): &CellsAndDamage| {
            let mut workbook = Workbook::new();
            let sheet = workbook.add_worksheet();
            let _ = sheet.write_string(0, 0, "姓名");
            for (r, c, text) in cells.iter().take(100) {
                let _ = sheet.write_string(1 + u32::from(*r % 40), u16::from(*c % 20), text);
            }
            let Ok(mut bytes) = workbook.save_to_buffer() else {
                return;
            };
            assert!(read_table("m.xlsx", &bytes, &limits).is_ok());
            let _ = parse_import("m.xlsx", &bytes, &limits);
            let len = bytes.len();
            for (at, x) in damage.iter().take(16) {
                if let Some(b) = bytes.get_mut(usize::from(*at) % len) {
                    *b ^= *x;
                }
            }
            let _ = parse_import("m.xlsx", &bytes, &limits);
            let _ = read_table("m.xlsx", &bytes, &limits);
        });
}

#[test]
fn name_rules() {
    assert_eq!(one_error(&[(Field::Name, "")]), err("name", "required"));
    assert_eq!(
        one_error(&[(Field::Name, &"名".repeat(65))]),
        err("name", "too_long")
    );
    assert_eq!(
        record(&[(Field::Name, &"名".repeat(64))])
            .name
            .chars()
            .count(),
        64
    );
}

#[test]
fn userid_rules() {
    assert_eq!(one_error(&[(Field::Userid, "")]), err("userid", "required"));
    for bad in ["_abc", ".abc", "-abc", "@abc", "ab c", "张三", "a#b"] {
        assert_eq!(
            one_error(&[(Field::Userid, bad)]),
            err("userid", "format"),
            "{bad}"
        );
    }
    assert_eq!(
        one_error(&[(Field::Userid, &"a".repeat(65))]),
        err("userid", "too_long")
    );
    for good in ["a", "Zhang.San_01-x@corp", "9lives", &"a".repeat(64)] {
        assert_eq!(record(&[(Field::Userid, good)]).userid, good);
    }
    // No userid column at all.
    let no_column = row(2, &[(Field::Name, "张三"), (Field::Departments, "总公司")]);
    assert_eq!(
        errors_of(vec![no_column]),
        vec![(2, "userid".into(), "required".into())]
    );
}

#[test]
fn mobile_rules() {
    let normalised = |m: &str| record(&[(Field::Mobile, m)]).mobile;
    assert_eq!(normalised("13800138000").as_deref(), Some("13800138000"));
    assert_eq!(
        normalised("+86 138-0013-8000").as_deref(),
        Some("13800138000")
    );
    assert_eq!(normalised("+8613800138000").as_deref(), Some("13800138000"));
    assert_eq!(
        normalised("0086 13800138000").as_deref(),
        Some("13800138000")
    );
    assert_eq!(
        normalised("１３８００１３８０００").as_deref(),
        Some("13800138000")
    );
    assert_eq!(
        normalised("+1 415-555-0100").as_deref(),
        Some("+14155550100")
    );
    assert_eq!(
        normalised("+852 9123 4567").as_deref(),
        Some("+85291234567")
    );
    assert_eq!(normalised("").as_deref(), None);
    for bad in [
        "12800138000",
        "1380013800",
        "138001380001",
        "+86 12345678",
        "+12345",
        "+1234567890123456",
        "+0123456789",
        "138-0013-800a",
        "+",
        "tel:13800138000",
    ] {
        assert_eq!(
            one_error(&[(Field::Mobile, bad)]),
            err("mobile", "format"),
            "{bad}"
        );
    }
}

#[test]
fn email_rules() {
    assert_eq!(
        record(&[(Field::Email, "Zhang.San@Example.COM")])
            .email
            .as_deref(),
        Some("zhang.san@example.com")
    );
    assert_eq!(record(&[(Field::Email, "")]).email, None);
    let long = format!("{}@example.com", "a".repeat(117));
    assert_eq!(long.len(), 129);
    for bad in [
        "plain",
        "@example.com",
        "a@",
        "a@b",
        "a@@b.com",
        "a@b@c.com",
        "a b@c.com",
        "a@.com",
        "a@b.",
        "a@b..com",
        &long,
    ] {
        assert_eq!(
            one_error(&[(Field::Email, bad)]),
            err("email", "format"),
            "{bad}"
        );
    }
}

#[test]
fn department_rules() {
    let paths = |d: &str| record(&[(Field::Departments, d)]).department_paths;
    let p = |parts: &[&str]| parts.iter().map(|s| (*s).to_string()).collect::<Vec<_>>();
    assert_eq!(paths("总公司 / 研发部"), vec![p(&["总公司", "研发部"])]);
    assert_eq!(
        paths("总公司/研发部;总公司／产品部；分公司,总公司/研发部,"),
        vec![
            p(&["总公司", "研发部"]),
            p(&["总公司", "产品部"]),
            p(&["分公司"])
        ],
    );
    assert_eq!(
        one_error(&[(Field::Departments, "")]),
        err("departments", "required")
    );
    assert_eq!(
        one_error(&[(Field::Departments, ";")]),
        err("departments", "required")
    );
    for bad in ["总公司//研发部", "/总公司", "总公司/", "总公司/ /研发部"] {
        assert_eq!(
            one_error(&[(Field::Departments, bad)]),
            err("departments", "format"),
            "{bad}"
        );
    }
    let long = format!("总公司/{}", "部".repeat(65));
    assert_eq!(
        one_error(&[(Field::Departments, &long)]),
        err("departments", "too_long")
    );
    assert_eq!(
        paths(&format!("总公司/{}", "部".repeat(64)))[0][1]
            .chars()
            .count(),
        64
    );
}

#[test]
fn gender_rules() {
    for (input, expected) in [
        ("男", "1"),
        ("male", "1"),
        ("Male", "1"),
        ("M", "1"),
        ("m", "1"),
        ("1", "1"),
        ("女", "2"),
        ("female", "2"),
        ("F", "2"),
        ("2", "2"),
        ("", "0"),
        ("未知", "0"),
        ("0", "0"),
    ] {
        assert_eq!(
            record(&[(Field::Gender, input)]).gender,
            expected,
            "{input}"
        );
    }
    for bad in ["3", "man", "男性", "x"] {
        assert_eq!(
            one_error(&[(Field::Gender, bad)]),
            err("gender", "format"),
            "{bad}"
        );
    }
}

#[test]
fn tag_leader_and_other_rules() {
    assert_eq!(
        record(&[(Field::Tags, " 骨干 ;新人；骨干, ,核心")]).tags,
        vec!["骨干", "新人", "核心"]
    );
    assert_eq!(record(&[(Field::Tags, "")]).tags, Vec::<String>::new());
    assert_eq!(record(&[(Field::Tags, &"标".repeat(32))]).tags.len(), 1);
    assert_eq!(
        one_error(&[(Field::Tags, &format!("ok;{}", "标".repeat(33)))]),
        err("tags", "too_long")
    );

    assert_eq!(
        record(&[(Field::EmployeeNo, "E001")])
            .employee_no
            .as_deref(),
        Some("E001")
    );
    assert_eq!(record(&[(Field::EmployeeNo, "")]).employee_no, None);
    assert_eq!(
        one_error(&[(Field::EmployeeNo, &"1".repeat(65))]),
        err("employee_no", "too_long")
    );

    assert_eq!(
        record(&[(Field::Leader, "boss")]).leader.as_deref(),
        Some("boss")
    );
    assert_eq!(record(&[(Field::Leader, "")]).leader, None);
    assert_eq!(
        one_error(&[(Field::Leader, "老板")]),
        err("leader", "format")
    );

    assert_eq!(
        one_error(&[(Field::Position, &"职".repeat(129))]),
        err("position", "too_long")
    );
    assert_eq!(
        one_error(&[(Field::Alias, &"别".repeat(65))]),
        err("alias", "too_long")
    );
    assert_eq!(
        one_error(&[(Field::Telephone, &"1".repeat(33))]),
        err("telephone", "too_long")
    );

    let full = record(&[
        (Field::Position, "工程师"),
        (Field::Alias, "小张"),
        (Field::Telephone, "010-12345678"),
    ]);
    assert_eq!(
        (
            full.position.as_str(),
            full.alias.as_str(),
            full.telephone.as_str()
        ),
        ("工程师", "小张", "010-12345678")
    );
    assert_eq!(full.row, 2);
}

#[test]
fn several_errors_in_one_row_are_all_reported() {
    let bad = row(
        7,
        &[
            (Field::Name, ""),
            (Field::Userid, "-x"),
            (Field::Mobile, "123"),
            (Field::Email, "nope"),
            (Field::Gender, "?"),
        ],
    );
    let (records, errors) = validate_rows(vec![bad, valid(8, "ok", &[])]);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].row, 8);
    let got: Vec<(usize, &str, &str)> = errors
        .iter()
        .map(|e| (e.row, e.field.as_str(), e.reason.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (7, "name", "required"),
            (7, "userid", "format"),
            (7, "mobile", "format"),
            (7, "email", "format"),
            (7, "departments", "required"),
            (7, "gender", "format"),
        ],
    );
}

#[test]
fn duplicates_in_file() {
    let rows = vec![
        valid(
            2,
            "zhangsan",
            &[(Field::Mobile, "13800138000"), (Field::Email, "a@x.com")],
        ),
        valid(3, "lisi", &[(Field::Mobile, "+86 138 0013 8000")]),
        valid(4, "ZhangSan", &[(Field::Email, "A@X.com")]),
        valid(5, "wangwu", &[(Field::Mobile, "13900139000")]),
    ];
    let (records, errors) = validate_rows(rows);
    assert_eq!(
        records.iter().map(|r| r.row).collect::<Vec<_>>(),
        vec![2, 5]
    );
    let got: Vec<(usize, &str, &str)> = errors
        .iter()
        .map(|e| (e.row, e.field.as_str(), e.reason.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (3, "mobile", "duplicate_in_file"),
            (4, "userid", "duplicate_in_file"),
            (4, "email", "duplicate_in_file")
        ],
    );

    // A value from a row rejected for something else still counts as taken.
    let rows = vec![valid(2, "a", &[(Field::Gender, "?")]), valid(3, "a", &[])];
    assert_eq!(
        errors_of(rows),
        vec![
            (2, "gender".into(), "format".into()),
            (3, "userid".into(), "duplicate_in_file".into())
        ],
    );
}

#[test]
fn neutralise_each_dangerous_prefix() {
    for (input, expected) in [
        ("=1+1", "'=1+1"),
        ("+8613800138000", "'+8613800138000"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("'=x", "''=x"),
        ("normal", "normal"),
        ("'quoted", "'quoted"),
        ("a=b", "a=b"),
        ("", ""),
    ] {
        assert_eq!(neutralise(input), expected, "{input:?}");
        // And the import side gives the value back.
        assert_eq!(clean_cell(&neutralise(input)), input.trim(), "{input:?}");
    }
}

fn dangerous_row() -> ExportRow {
    ExportRow {
        name: "=HYPERLINK(\"http://x\")".into(),
        userid: "u1".into(),
        employee_no: "-1".into(),
        mobile: "+8613800138000".into(),
        email: "@evil.com".into(),
        departments: "\tdept".into(),
        position: "\rpos".into(),
        ..ExportRow::default()
    }
}

#[test]
fn export_csv_is_bom_chinese_header_and_neutralised() {
    let bytes = export_csv(&[dangerous_row()]);
    let text = std::str::from_utf8(&bytes).unwrap();
    let mut lines = text.split("\r\n");
    assert_eq!(
        lines.next(),
        Some("\u{feff}姓名,帐号,工号,手机,邮箱,部门,职务,性别,直属上级,标签,状态")
    );
    assert_eq!(
        lines.next(),
        Some(
            "\"'=HYPERLINK(\"\"http://x\"\")\",u1,'-1,'+8613800138000,'@evil.com,'\tdept,\"'\rpos\",,,,"
        ),
    );
    assert_eq!(lines.next(), Some(""));
    assert_eq!(lines.next(), None);
}

#[test]
fn export_xlsx_is_neutralised_strings() {
    let bytes = export_xlsx(&[dangerous_row()]).unwrap();
    let mut workbook = Xlsx::new(Cursor::new(bytes)).unwrap();
    assert_eq!(workbook.sheet_names(), vec!["成员".to_string()]);
    let range = workbook.worksheet_range("成员").unwrap();
    let header: Vec<String> = range
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(header, EXPORT_HEADER);
    let cells = range.rows().nth(1).unwrap();
    let expected = [
        "'=HYPERLINK(\"http://x\")",
        "u1",
        "'-1",
        "'+8613800138000",
        "'@evil.com",
        "'\tdept",
        "'\rpos",
    ];
    for (cell, want) in cells.iter().zip(expected) {
        assert_eq!(*cell, calamine::Data::String(want.to_string()));
    }
}

fn sample_members() -> Vec<ExportRow> {
    vec![
        ExportRow {
            name: "张三".into(),
            userid: "zhangsan".into(),
            employee_no: "001".into(),
            mobile: "13800138000".into(),
            email: "zs@example.com".into(),
            departments: "总公司/研发部;总公司/产品部".into(),
            position: "工程师, 高级".into(),
            gender: "男".into(),
            leader: "boss".into(),
            tags: "骨干;新人".into(),
            status: "已激活".into(),
        },
        ExportRow {
            name: "John \"JJ\" Smith".into(),
            userid: "john.smith".into(),
            mobile: "+14155550100".into(),
            departments: "总公司".into(),
            gender: "".into(),
            status: "已禁用".into(),
            ..ExportRow::default()
        },
        ExportRow {
            name: "-减号开头".into(),
            userid: "minus".into(),
            mobile: "+8613900139000".into(),
            departments: "总公司/=部门".into(),
            gender: "女".into(),
            ..ExportRow::default()
        },
    ]
}

fn assert_round_trip(rows: Vec<SheetRow>) {
    let members = sample_members();
    assert_eq!(rows.len(), members.len());
    for (i, (got, want)) in rows.iter().zip(&members).enumerate() {
        assert_eq!(got.row, i + 2);
        assert_eq!(got.get(Field::Name), want.name);
        assert_eq!(got.get(Field::Userid), want.userid);
        assert_eq!(got.get(Field::EmployeeNo), want.employee_no);
        assert_eq!(got.get(Field::Mobile), want.mobile);
        assert_eq!(got.get(Field::Email), want.email);
        assert_eq!(got.get(Field::Departments), want.departments);
        assert_eq!(got.get(Field::Position), want.position);
        assert_eq!(got.get(Field::Gender), want.gender);
        assert_eq!(got.get(Field::Leader), want.leader);
        assert_eq!(got.get(Field::Tags), want.tags);
    }
    let (records, errors) = validate_rows(rows);
    assert_eq!(errors, vec![]);
    assert_eq!(records[0].department_paths.len(), 2);
    assert_eq!(records[0].gender, "1");
    assert_eq!(records[1].mobile.as_deref(), Some("+14155550100"));
    assert_eq!(records[2].mobile.as_deref(), Some("13900139000"));
    assert_eq!(records[2].gender, "2");
}

#[test]
fn csv_round_trip() {
    let bytes = export_csv(&sample_members());
    assert_round_trip(parse("export.csv", &bytes).unwrap());
}

#[test]
fn xlsx_round_trip() {
    let bytes = export_xlsx(&sample_members()).unwrap();
    assert_round_trip(parse("export.xlsx", &bytes).unwrap());
}
