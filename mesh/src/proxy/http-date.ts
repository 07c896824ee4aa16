/** The Date header of local replies, formatted at most once a second. */
let dateText = '';
let dateSecond = 0;

export function httpDate(): string {
  const second = Math.floor(Date.now() / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(second * 1000).toUTCString();
  }
  return dateText;
}
