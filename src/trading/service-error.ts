/** The services' refusals are the app's one error type; the old name stays for its callers. */
export { AppError as ServiceError, type AppErrorCode, type AppErrorStatus } from "../shared/app-error";
