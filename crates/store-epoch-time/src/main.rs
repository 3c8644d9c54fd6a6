//! The `store-epoch-time` Lambda function: owns `POST /storeEpochTime`.

use epochstore::http::Route;

// One request at a time per Lambda instance: a single-threaded runtime starts faster.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    epochstore::lambda::run(&[Route::StoreEpochTime]).await
}
