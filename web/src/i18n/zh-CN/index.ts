/**
 * 简体中文（默认语言）。键与 en/ 一一对应，由单元测试检查。
 * 每个产品模块一个文件：新模块在本目录加一个文件，并在下面加一行（en/ 同样）。
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
