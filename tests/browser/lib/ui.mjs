// Selectors and small steps shared by the tests. Elements are found by their data-testid hooks
// (web/src) where they exist, otherwise by role and visible text.
import assert from 'node:assert/strict';

/** CSS selector of a data-testid hook. */
export const tid = (id) => `[data-testid="${id}"]`;
/** The <input> inside a TDesign input carrying the hook. */
export const field = (id) => `${tid(id)} input`;

/** A regular expression matching exactly `text` (trimmed). */
export const exactly = (text) => new RegExp(`^\\s*${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);

/** A URL predicate for page.waitForURL: the path is exactly `pathname` (any query). */
export const onPath = (pathname) => (url) => url.pathname === pathname;

/** Opens a TDesign select and picks the option showing `text`. */
export async function pickOption(page, selectId, text) {
  await page.click(tid(selectId));
  await page.locator('.t-popup .t-select-option', { hasText: text }).first().click();
}

/**
 * Picks `name` in an open department picker (TDesign tree select) by typing into its filter,
 * the way a person finds a department deep in the tree.
 */
export async function pickDepartment(page, selectId, name) {
  const select = page.locator(tid(selectId));
  await select.click();
  await select.locator('input').first().pressSequentially(name);
  await page.locator('.t-popup .t-tree__label', { hasText: exactly(name) }).first().click();
}

/** Waits for a toast of `theme` ('success' | 'error' | 'warning') containing `text`; returns its text. */
export async function toast(page, theme, text) {
  const message = page.locator(`.t-message.t-is-${theme}`, { hasText: text }).first();
  await message.waitFor();
  return (await message.innerText()).trim();
}

/** Signs in through the sign-in page and waits to leave it. */
export async function signIn(page, account, password) {
  await page.goto('/login');
  await page.fill(field('login-account'), account);
  await page.fill(field('login-password'), password);
  await page.click(tid('login-submit'));
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
}

/** Completes the forced password change on /password and waits for the directory. */
export async function changePassword(page, oldPassword, newPassword) {
  await page.fill(field('password-old'), oldPassword);
  await page.fill(field('password-new'), newPassword);
  await page.fill(field('password-confirm'), newPassword);
  await page.click(tid('password-submit'));
  await page.waitForURL(onPath('/contacts'));
}

/** The trimmed text of the element with the hook, once it is visible. */
export async function textOf(page, id) {
  const el = page.locator(tid(id)).first();
  await el.waitFor();
  return (await el.innerText()).trim();
}

/** Waits until the element with the hook shows exactly `expected`. */
export async function expectText(page, id, expected) {
  await page.locator(tid(id), { hasText: exactly(String(expected)) }).first().waitFor();
  assert.equal(await textOf(page, id), String(expected));
}

/** Waits until the page title heading (h1/h2/h3) shows `text`. */
export async function heading(page, text) {
  await page.getByRole('heading', { name: text }).first().waitFor();
}

// The department tree (admin console and directory). When its data is reloaded, TDesign's tree
// fades the old nodes out while the new ones fade in, so for a moment every department is there
// twice; the leaving copies carry `t-tree__item--leave-active` and are ignored here.
const LIVE_ITEM = `${tid('dept-tree')} .t-tree__item:not(.t-tree__item--leave-active)`;
const TREE_SETTLED = `(() => { const items = [...document.querySelectorAll('${tid('dept-tree')} .t-tree__item')];
  return items.length > 0 && !items.some((el) => /--(enter|leave)-active/.test(el.className)); })()`;
const TREE_OUTLINE = `[...document.querySelectorAll('${LIVE_ITEM}.t-tree__item--visible')]
  .map((el) => '  '.repeat(Number(el.dataset.level)) + (el.querySelector('.t-tree__label')?.title ?? ''))`;

/** Waits until the department tree is shown and not in the middle of a transition. */
export async function treeSettled(page) {
  await page.waitForFunction(TREE_SETTLED);
}

/** The department tree as shown: one line per visible department, indented two spaces per level. */
export async function treeOutline(page) {
  return page.evaluate(TREE_OUTLINE);
}

/** Waits until the department tree shows exactly `lines` (see treeOutline), then checks it. */
export async function expectTreeOutline(page, lines) {
  await page.waitForFunction(`JSON.stringify(${TREE_OUTLINE}) === ${JSON.stringify(JSON.stringify(lines))}`).catch(() => undefined);
  assert.deepEqual(await treeOutline(page), lines);
}

/** The tree item (row) of the department named `name`. */
export function treeItem(page, name) {
  return page.locator(LIVE_ITEM).filter({ has: page.getByText(name, { exact: true }) });
}

/** Clicks the department `name` in the tree. */
export async function clickTreeNode(page, name) {
  await treeItem(page, name).locator('.t-tree__label').click();
}
