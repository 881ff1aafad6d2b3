import { inject, type InjectionKey } from 'vue';
import { fileUrl } from '@/api/approvals';

/** How the files of the application on the page are read (the detail page reads them through the application). */
export const FILE_URL: InjectionKey<(fileId: string, thumb?: boolean) => string> = Symbol('approval-file-url');

/** The file reader of the page: through the application when one provides it, else one's own uploads. */
export function useFileUrl(): (fileId: string, thumb?: boolean) => string {
  return inject(FILE_URL, fileUrl);
}
