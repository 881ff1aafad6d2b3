/**
 * English. Keys mirror zh-CN/ one to one (checked by a unit test).
 * One file per product module: a new module adds its file here and one line below (and in zh-CN/).
 */
import common from './common';
import identity from './identity';
import org from './org';
import admin from './admin';
import apps from './apps';
import chat from './chat';
import approvals from './approvals';
import attendance from './attendance';

export default { ...common, ...identity, ...org, ...admin, ...apps, ...chat, ...approvals, ...attendance };
